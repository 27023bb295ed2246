#include "models/cost/kernels.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "models/cost/fit_error.h"
#include "models/cost/in_situ.h"

namespace moesim::cost {

namespace {

using hardware::Bound;

// Interpolates y over x in log(x), clamped to the ends.
template <typename Row, typename X, typename Y>
double log_interp(const std::vector<Row>& rows, double x, X get_x, Y get_y) {
  if (x <= get_x(rows.front())) return get_y(rows.front());
  if (x >= get_x(rows.back())) return get_y(rows.back());
  size_t i = 1;
  while (get_x(rows[i]) < x) ++i;
  double f = std::log(x / get_x(rows[i - 1])) / std::log(get_x(rows[i]) / get_x(rows[i - 1]));
  return get_y(rows[i - 1]) + f * (get_y(rows[i]) - get_y(rows[i - 1]));
}

double binomial(int n, int k) {
  if (k < 0 || k > n) return 0.0;
  double r = 1.0;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

}  // namespace

std::vector<llm::Operator> profile_row_operators(const hardware::ProfileMeasurement& row,
                                                 const llm::ModelSpec& model) {
  const auto phase = row.profile == "prefill" ? llm::Phase::kPrefill : llm::Phase::kDecode;
  const auto layer = llm::layer_operators(model, phase, true);
  std::vector<llm::Operator> out;
  for (const auto& name : row.operators) {
    auto it = std::find_if(layer.begin(), layer.end(), [&](const llm::Operator& op) { return op.name == name; });
    if (it == layer.end() || (it->kind != llm::OpKind::kElementwise && it->kind != llm::OpKind::kRouter)) {
      throw InputError(fmt::format("inference profiles: {} row \"{}\": \"{}\" is no memory-bound operator of {}'s {} layer",
                                   row.profile, row.name, name, model.name, row.profile));
    }
    out.push_back(*it);
  }
  return out;
}

MemoryBoundForm fit_memory_bound_form(const hardware::Hardware& hw, const llm::ModelSpec& model) {
  // Relative residuals (launches L + bytes x c) / t - 1 are linear in (L, c), c = 1 / (HBM x efficiency).
  std::vector<std::array<double, 3>> rows;  // launches, bytes, seconds
  for (const auto& k : hw.inference.kernels) {
    if (k.family != "elementwise") continue;
    double launches = 0, bytes = 0;
    for (const auto& op : profile_row_operators(k, model)) {
      launches += op.launches;
      bytes += op.bytes_per_unit * k.units;
    }
    rows.push_back({launches, bytes, k.seconds});
  }
  if (rows.size() < 2) throw InputError("inference profiles: at least two elementwise rows are needed to fit them");
  const auto n = static_cast<Eigen::Index>(rows.size());
  Eigen::MatrixXd a(n, 2);
  Eigen::VectorXd y = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& r = rows[static_cast<size_t>(i)];
    a(i, 0) = r[0] / r[2];
    a(i, 1) = r[1] / r[2];
  }
  const Eigen::Vector2d x = a.colPivHouseholderQr().solve(y);
  if (!(x(0) > 0) || !(x(1) > 0)) {
    throw InputError(fmt::format("inference profiles: the elementwise rows fit no positive launch cost and bandwidth "
                                 "(launch {} s, {} s per byte)", x(0), x(1)));
  }
  MemoryBoundForm f;
  f.launch_s = x(0);
  f.hbm_efficiency = 1.0 / (x(1) * hw.tables_gpu_spec.hbm_bytes_per_s);
  f.points = static_cast<int>(rows.size());
  std::vector<double> errors;
  for (const auto& r : rows) errors.push_back((r[0] * x(0) + r[1] * x(1)) / r[2] - 1.0);
  f.rms_error = rms(errors);
  return f;
}

KernelModel::KernelModel(const hardware::Hardware& hw, const llm::ModelSpec& model)
    : hw_(hw),
      model_(model),
      memory_(fit_memory_bound_form(hw, profile_model())),
      // The attention rates were measured in BF16 (FlashAttention-3, FlashMLA); FP8 attention runs at the FP8 peak.
      attention_speedup_(hardware::peak_flops(hw.gpu, model.precision.attention) / hw.gpu.bf16_flops) {
  // Calibration: the FlashAttention-3 forward row of the training profile (DeepSeek-V3's attention: causal, S tokens,
  // 128 heads, qk 192, v 128) gives the attention rate per SM; the priced model's FLOPs per (query, key) pair follow
  // its own heads and dims.
  const auto& fa3 = hw.profile.kernel("flash_attention_3_fwd");
  double s = hw.profile.tokens;
  double pairs = s * (s + 1.0) / 2.0;
  fa3_flops_per_sm_ = attention_flops_per_pair(profile_model()) * pairs / fa3.seconds / hw.profile.gemm_sms;
  attention_flops_per_pair_ = attention_flops_per_pair(model);
  // A model with sliding-window layers: the share of layers attending to all context.
  const auto& g = model.attention.gqa;
  full_layer_share_ = model.attention.kind == llm::AttentionKind::kGqa && g.sliding_window > 0
                          ? 1.0 - static_cast<double>(g.sliding_window_layers) / model.layers
                          : 1.0;
  for (const auto& r : hw.deepep.normal) {
    if (!r.intranode) internode_.push_back(r);
  }
}

double attention_flops_per_pair(const llm::ModelSpec& m) {
  if (m.attention.kind == llm::AttentionKind::kMla) {
    const auto& mla = m.attention.mla;
    return 2.0 * m.attention.heads * (mla.qk_nope_head_dim + mla.qk_rope_head_dim + mla.v_head_dim);
  }
  return 2.0 * m.attention.heads * 2.0 * m.attention.gqa.head_dim;
}

double KernelModel::windowed_pairs(double pairs, double tokens) const {
  // Windowed layers: each new token attends to at most `window` keys; the layer average over full and windowed.
  if (full_layer_share_ >= 1.0) return pairs;
  const double windowed = std::min(pairs, tokens * model_.attention.gqa.sliding_window);
  return full_layer_share_ * pairs + (1.0 - full_layer_share_) * windowed;
}

double KernelModel::prefill_attention_s(double pairs, int sms) const {
  if (pairs <= 0) return 0.0;
  return attention_flops_per_pair_ * pairs / (fa3_flops_per_sm_ * sms * attention_speedup_) *
         hw_.carry_factor(Bound::kCompute);
}

double KernelModel::decode_attention_s(double sequences, double kv_tokens, int query_per_seq, int sms,
                                       double head_share, double kv_share) const {
  if (sequences <= 0 || kv_tokens <= 0) return 0.0;
  double dk = 0, dv = 0;
  if (model_.attention.kind == llm::AttentionKind::kMla) {
    const auto& mla = model_.attention.mla;
    dk = mla.kv_lora_rank + mla.qk_rope_head_dim;  // 576 for DeepSeek-V3
    dv = mla.kv_lora_rank;                         // 512
  } else {
    // GQA decode at FlashMLA's rates (assumed: a decode attention kernel reaches the same fractions of the peaks);
    // windowed layers read at most `window` keys a sequence.
    dk = dv = model_.attention.gqa.head_dim;
    if (full_layer_share_ < 1.0) {
      const double capped = sequences * std::min(kv_tokens / sequences, double(model_.attention.gqa.sliding_window));
      kv_tokens = full_layer_share_ * kv_tokens + (1.0 - full_layer_share_) * capped;
    }
  }
  double flops = 2.0 * model_.attention.heads * head_share * query_per_seq * kv_tokens * (dk + dv);
  double bytes = kv_tokens * model_.kv_bytes_per_token_per_layer() * kv_share;
  double table_sms = hw_.tables_gpu_spec.sms;
  double compute = flops / (hw_.flashmla.compute_bound_flops * sms / table_sms * attention_speedup_) *
                   hw_.carry_factor(Bound::kCompute);
  double memory = bytes / hw_.flashmla.memory_bound_bytes_per_s * hw_.carry_factor(Bound::kHbm);
  return std::max(compute, memory);
}

double KernelModel::remote_nodes_per_token(int nodes) const {
  // A token picks groups_per_token of expert_groups groups; with the groups spread evenly, each node holds
  // expert_groups / nodes of them. P(a node is hit) = 1 - C(G - g, k) / C(G, k). Nodes beyond the group count
  // (more nodes than groups) split groups; then a token reaches at most experts_per_token GPUs' nodes.
  int groups = model_.moe.expert_groups;
  int pick = model_.moe.groups_per_token;
  if (nodes <= 1) return 0.0;
  if (nodes <= groups && groups % nodes == 0) {
    int per_node = groups / nodes;
    double p_hit = 1.0 - binomial(groups - per_node, pick) / binomial(groups, pick);
    return (nodes - 1) * p_hit;
  }
  // Large EP (decode): experts spread over more nodes than groups; each of the token's experts lands on a node at
  // random: expected distinct other nodes among experts_per_token draws.
  double k = model_.moe.experts_per_token;
  double p_miss = std::pow(1.0 - 1.0 / nodes, k);
  return (nodes - 1) * (1.0 - p_miss);
}

double KernelModel::normal_bandwidth(int ep, bool dispatch) const {
  const auto& rows = hw_.deepep.normal;
  auto get_x = [](const hardware::DeepEpNormalRow& r) { return static_cast<double>(r.ep); };
  if (ep <= hw_.node.nvlink_domain_gpus) {
    for (const auto& r : rows) {
      if (r.intranode) {
        return (dispatch ? r.dispatch_bytes_per_s : r.combine_bytes_per_s) / hw_.carry_factor(Bound::kNvlink);
      }
    }
  }
  if (internode_.empty()) throw InputError("DeepEP table: no internode rows");
  double bw = log_interp(internode_, ep, get_x, [&](const hardware::DeepEpNormalRow& r) {
    return dispatch ? r.dispatch_bytes_per_s : r.combine_bytes_per_s;
  });
  return bw / hw_.carry_factor(Bound::kNic);
}

double KernelModel::low_latency_table_seconds_per_token(int ep, bool dispatch) const {
  // The table's rows time 128 tokens per rank; the kernels are bandwidth-dominated at these sizes (128 x 8 x 7,224 B
  // / 192 us = 38.5 GB/s at EP128, the listed 39 GB/s), so time scales with tokens. Interpolated in log(EP).
  const auto& rows = hw_.deepep.low_latency;
  double t = log_interp(
      rows, ep, [](const hardware::DeepEpLowLatencyRow& r) { return static_cast<double>(r.ep); },
      [&](const hardware::DeepEpLowLatencyRow& r) { return dispatch ? r.dispatch_s : r.combine_s; });
  return t / kLowLatencyTableTokens * hw_.carry_factor(Bound::kNic);
}

// Normal kernels: tokens travel once per target node over RDMA, then over NVLink inside it; the table's bandwidth
// is at the bottleneck link (RDMA for internode, NVLink within a node).
double KernelModel::normal_all_to_all_s(double tokens, int ep, double receive_factor, bool dispatch) const {
  if (tokens <= 0) return 0.0;
  // Beyond one NVLink domain a token crosses once to each remote domain it reaches (over the NICs, then NVLink
  // inside it); within one domain it goes to each GPU of its experts over NVLink.
  int domains = std::max(1, ep / hw_.node.nvlink_domain_gpus);
  double per_token =
      domains > 1 ? remote_nodes_per_token(domains) : std::min<double>(model_.moe.experts_per_token, ep - 1);
  double token_bytes = dispatch ? model_.dispatch_bytes_per_token() : model_.combine_bytes_per_token();
  double bytes = tokens * per_token * token_bytes;
  return std::max(bytes * std::max(1.0, receive_factor) / normal_bandwidth(ep, dispatch), kKernelFloorS);
}

double KernelModel::normal_dispatch_s(double tokens, int ep, double receive_factor) const {
  return normal_all_to_all_s(tokens, ep, receive_factor, true);
}

double KernelModel::normal_combine_s(double tokens, int ep, double receive_factor) const {
  return normal_all_to_all_s(tokens, ep, receive_factor, false);
}

// Low-latency kernels send each token to each of its experts directly over RDMA; the busier of the rank's send and
// the busiest GPU's receive sets the time.
double KernelModel::low_latency_all_to_all_s(double tokens, int ep, double receive_factor, bool dispatch) const {
  if (tokens <= 0) return 0.0;
  return std::max(tokens * std::max(1.0, receive_factor) * low_latency_seconds_per_token(ep, dispatch),
                  kLowLatencyFloorS);
}

double KernelModel::low_latency_seconds_per_token(int ep, bool dispatch) const {
  if (ep > hw_.node.nvlink_domain_gpus) return low_latency_table_seconds_per_token(ep, dispatch);
  // Inside one NVLink domain the low-latency kernels write each token's copy for each of its experts straight into
  // the receiving GPU over NVLink: bytes at the domain's achieved NVLink bandwidth, no NIC.
  double copies = std::min<double>(model_.moe.experts_per_token, ep - 1);
  double token_bytes = dispatch ? model_.dispatch_bytes_per_token() : model_.combine_bytes_per_token();
  return copies * token_bytes / hw_.node.nvlink_bytes_per_s;
}

double KernelModel::low_latency_dispatch_s(double tokens, int ep, double receive_factor) const {
  return low_latency_all_to_all_s(tokens, ep, receive_factor, true);
}

double KernelModel::low_latency_combine_s(double tokens, int ep, double receive_factor) const {
  return low_latency_all_to_all_s(tokens, ep, receive_factor, false);
}

double KernelModel::memory_bound_s(double bytes, double launches) const {
  if (bytes <= 0) return 0.0;
  return launches * memory_.launch_s + bytes / (hw_.gpu.hbm_bytes_per_s * memory_.hbm_efficiency);
}

double KernelModel::elementwise_s(const llm::Operator& op, double units) const {
  return units > 0 ? memory_bound_s(op.bytes_per_unit * units, op.launches) : 0.0;
}

double KernelModel::kv_load_s(double tokens) const {
  return tokens * model_.kv_bytes_per_token() / hw_.node.kv_cache_read_bytes_per_s;
}

double kv_transfer_s(double tokens, const llm::ModelSpec& kv_model, const hardware::NodeSpec& from,
                     const hardware::NodeSpec& to) {
  return tokens * kv_model.kv_bytes_per_token() / std::min(from.nic_bytes_per_s, to.nic_bytes_per_s);
}

}  // namespace moesim::cost
