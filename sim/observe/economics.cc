#include "sim/observe/economics.h"

namespace moesim::observe {

namespace {
double node_cost(double node_s, const NodeRate& rate) {
  return node_s / 3600.0 * static_cast<double>(rate.gpus_per_node) * rate.usd_per_gpu_hour;
}
}  // namespace

Money money(const Prices& prices, PoolNodeSeconds node_s, const BilledTokens& tokens) {
  Money m;
  m.cost_usd = prices.prefill == prices.decode
                   ? node_cost(node_s.prefill + node_s.decode, prices.prefill)
                   : node_cost(node_s.prefill, prices.prefill) + node_cost(node_s.decode, prices.decode);
  m.revenue_usd = (static_cast<double>(tokens.input_cached) * prices.usd_per_m_input_cache_hit +
                   static_cast<double>(tokens.input_uncached) * prices.usd_per_m_input_cache_miss +
                   static_cast<double>(tokens.output) * prices.usd_per_m_output) /
                  1e6;
  m.margin = ratio_or_zero(m.revenue_usd - m.cost_usd, m.cost_usd);
  return m;
}

}  // namespace moesim::observe
