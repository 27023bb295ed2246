// Test helpers: random stage durations for a template, and the exact steady-state period of a template computed
// independently of the list scheduler (Howard's maximum cycle ratio over the template's periodic graph).
#pragma once

#include <algorithm>
#include <array>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/howard_cycle_ratio.hpp>
#include <limits>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "models/pipeline/layer_graph.h"
#include "models/pipeline/pipeline_template.h"
#include "models/pipeline/stage.h"

namespace moesim::pipeline::testing {

/// Durations for every stage the template runs, uniform in [0, 1) ms, independently per micro-batch.
inline std::array<StageDurations, 2> random_durations(const PipelineTemplate& t, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> ms(0.0, 1e-3);
  std::array<StageDurations, 2> out{};
  for (int mb = 0; mb < t.micro_batches; ++mb) {
    for (Stage s : t.stages) out[mb][s] = ms(rng);
  }
  return out;
}

/// The template's micro-batches of `durations` as the span the scheduler takes.
inline std::span<const StageDurations> first_micro_batches(const std::array<StageDurations, 2>& durations,
                                                           const PipelineTemplate& t) {
  return {durations.data(), static_cast<std::size_t>(t.micro_batches)};
}

/// The exact steady-state period: the maximum over cycles of (sum of durations) / (layers spanned) in the periodic
/// graph whose nodes are one layer's operators. An operator's repetition index is its layer minus its slot's
/// layer_offset, so resource-order edges span 0 repetitions inside a cycle and 1 at its wrap; an operator in flight
/// has no slot, so its repetition index is its layer.
/// Howard's policy iteration stops improving below FloatTraits::epsilon(), absolute; Boost's default is 0.005, far
/// too coarse for durations in seconds, so the oracle works in microseconds with a tolerance of 1e-9 us.
struct FineTolerance {
  using value_type = double;
  static double infinity() { return std::numeric_limits<double>::infinity(); }
  static double epsilon() { return -1e-9; }
};

inline double max_cycle_ratio_period(const PipelineTemplate& t, std::span<const StageDurations> mbs,
                                     double compute_time_factor = 1.0) {
  using Graph = boost::adjacency_list<
      boost::vecS, boost::vecS, boost::directedS, boost::no_property,
      boost::property<boost::edge_weight_t, double, boost::property<boost::edge_weight2_t, double>>>;
  // Vertices only for the stages the template runs: Howard's policy iteration needs an out-edge at every vertex.
  const int per_mb = static_cast<int>(t.stages.size());
  const int n = t.micro_batches * per_mb;
  Graph g(static_cast<std::size_t>(n));
  std::vector<int> offset(static_cast<std::size_t>(n), 0);
  auto index_of = [&](Stage s) {
    return static_cast<int>(std::find(t.stages.begin(), t.stages.end(), s) - t.stages.begin());
  };
  auto id = [&](int mb, Stage s) { return mb * per_mb + index_of(s); };
  auto duration = [&](int v) {
    Stage s = t.stages[static_cast<std::size_t>(v % per_mb)];
    double d = mbs[static_cast<std::size_t>(v / per_mb)][s];
    return 1e6 * (stretched_by_sm_share(t.resource_of(s), s) ? d * compute_time_factor : d);
  };
  for (Resource r : {Resource::kCompute, Resource::kComm}) {
    for (const Slot& s : t.cycle(r)) offset[id(s.micro_batch, s.stage)] = s.layer_offset;
  }
  auto add = [&](int from, int to, double spans) {
    boost::add_edge(from, to, Graph::edge_property_type(duration(from), spans), g);
  };
  for (int mb = 0; mb < t.micro_batches; ++mb) {
    for (const Dependency& d : t.dependencies) {
      int u = id(mb, d.from);
      int v = id(mb, d.to);
      add(u, v, d.layer_lag - offset[v] + offset[u]);
    }
  }
  for (Resource r : {Resource::kCompute, Resource::kComm}) {
    const auto& c = t.cycle(r);
    for (std::size_t i = 0; i < c.size(); ++i) {
      add(id(c[i].micro_batch, c[i].stage), id(c[(i + 1) % c.size()].micro_batch, c[(i + 1) % c.size()].stage),
          i + 1 == c.size() ? 1.0 : 0.0);
    }
  }
  return 1e-6 * boost::maximum_cycle_ratio(g, boost::get(boost::vertex_index, g), boost::get(boost::edge_weight, g),
                                           boost::get(boost::edge_weight2, g), nullptr, FineTolerance());
}

}  // namespace moesim::pipeline::testing
