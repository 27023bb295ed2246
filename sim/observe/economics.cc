#include "sim/observe/economics.h"

namespace moesim::observe {

Money money(const Prices& prices, double node_s, const BilledTokens& tokens) {
  Money m;
  m.cost_usd = node_s / 3600.0 * static_cast<double>(prices.gpus_per_node) * prices.usd_per_gpu_hour;
  m.revenue_usd = (static_cast<double>(tokens.input_cached) * prices.usd_per_m_input_cache_hit +
                   static_cast<double>(tokens.input_uncached) * prices.usd_per_m_input_cache_miss +
                   static_cast<double>(tokens.output) * prices.usd_per_m_output) /
                  1e6;
  m.margin = ratio_or_zero(m.revenue_usd - m.cost_usd, m.cost_usd);
  return m;
}

}  // namespace moesim::observe
