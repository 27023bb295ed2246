#include "sim/policy/eplb_planner.h"

#include <algorithm>
#include <stdexcept>

namespace moesim::policy {

EplbPlanner::EplbPlanner(std::unique_ptr<ExpertBalancer> balancer, EplbShape shape, int num_layers, int num_experts,
                         EplbPlannerConfig config, std::vector<std::vector<double>> initial_weight)
    : balancer_(std::move(balancer)),
      shape_(shape),
      num_layers_(num_layers),
      num_experts_(num_experts),
      config_(config),
      bucket_ns_(config.buckets > 0 ? config.window_ns / config.buckets : 0),
      next_replan_ns_(config.interval_ns) {
  if (!balancer_ || num_layers < 1 || num_experts < 1)
    throw std::invalid_argument("EplbPlanner: empty balancer or sizes");
  if (config.interval_ns <= 0 || config.buckets < 1 || bucket_ns_ <= 0) {
    throw std::invalid_argument("EplbPlanner: interval, window and buckets must be positive (window >= buckets ns)");
  }
  bucket_id_.assign(config.buckets, -1);
  bucket_sum_.assign(static_cast<size_t>(config.buckets) * num_layers * num_experts, 0.0);
  if (initial_weight.empty()) initial_weight.assign(num_layers, std::vector<double>(num_experts, 1.0));
  placement_ = balancer_->place(initial_weight, shape_);
}

void EplbPlanner::observe(int64_t now_ns, const std::vector<std::vector<double>>& loads) {
  if (now_ns < last_observe_ns_) throw std::invalid_argument("EplbPlanner::observe: time went backward");
  if (loads.size() != static_cast<size_t>(num_layers_)) throw std::invalid_argument("EplbPlanner::observe: layers");
  last_observe_ns_ = now_ns;
  int64_t id = now_ns / bucket_ns_;
  size_t ring = static_cast<size_t>(id % config_.buckets);
  const size_t stride = static_cast<size_t>(num_layers_) * num_experts_;
  double* sum = bucket_sum_.data() + ring * stride;
  if (bucket_id_[ring] != id) {  // the entry held a bucket that has left the window
    std::fill(sum, sum + stride, 0.0);
    bucket_id_[ring] = id;
  }
  for (int l = 0; l < num_layers_; ++l) {
    if (loads[l].size() != static_cast<size_t>(num_experts_)) {
      throw std::invalid_argument("EplbPlanner::observe: experts");
    }
    for (int e = 0; e < num_experts_; ++e) sum[static_cast<size_t>(l) * num_experts_ + e] += loads[l][e];
  }
}

std::vector<std::vector<double>> EplbPlanner::window_loads(int64_t now_ns) const {
  std::vector<std::vector<double>> out(num_layers_, std::vector<double>(num_experts_, 0.0));
  int64_t current = now_ns / bucket_ns_;
  const size_t stride = static_cast<size_t>(num_layers_) * num_experts_;
  for (int b = 0; b < config_.buckets; ++b) {
    int64_t id = bucket_id_[b];
    if (id < 0 || id > current || id <= current - config_.buckets) continue;  // empty or outside the window
    const double* sum = bucket_sum_.data() + static_cast<size_t>(b) * stride;
    for (int l = 0; l < num_layers_; ++l) {
      for (int e = 0; e < num_experts_; ++e) out[l][e] += sum[static_cast<size_t>(l) * num_experts_ + e];
    }
  }
  return out;
}

bool EplbPlanner::maybe_replan(int64_t now_ns) {
  if (now_ns < next_replan_ns_) return false;
  next_replan_ns_ = (now_ns / config_.interval_ns + 1) * config_.interval_ns;
  std::vector<std::vector<double>> loads = window_loads(now_ns);
  double total = 0;
  for (const auto& row : loads) {
    for (double w : row) total += w;
  }
  if (total <= 0) return false;
  placement_ = balancer_->place(loads, shape_);
  ++replans_;
  return true;
}

}  // namespace moesim::policy
