// A run of consecutive MoE layers as an operator DAG (Boost.Graph): one node per stage, micro-batch and layer, bound to
// a resource; dependency edges from the template, plus resource-order edges that chain each resource's operators in
// the order the template prescribes. Scheduling is then a longest path over this DAG.
//
//   auto g = moesim::pipeline::build_layer_graph(pipeline_template(TemplateKind::kPrefillDualBatch), 8);
//   // boost::num_vertices(g) == 8 layers x 2 micro-batches x 5 stages
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <span>
#include <string>

#include "models/pipeline/pipeline_template.h"
#include "models/pipeline/stage.h"

namespace moesim::pipeline {

/// One operator: a stage of one micro-batch in one layer.
struct OpNode {
  std::string name;  ///< "MB0 L3 DISPATCH"
  Stage stage = Stage::kAttn;
  int micro_batch = 0;
  int layer = 0;
  Resource resource = Resource::kCompute;
  double duration_s = 0;  ///< set by assign_durations; 0 after build_layer_graph
};

/// Why an edge exists: the data flow of one micro-batch, or the template's order on one resource.
enum class EdgeKind : std::uint8_t { kDependency, kResourceOrder };

/// An edge of the operator DAG.
struct OpEdge {
  EdgeKind kind = EdgeKind::kDependency;
};

/// The operator DAG. Vertices are numbered layer by layer, micro-batch by micro-batch, in template stage order.
using LayerGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, OpNode, OpEdge>;

/// "MB<micro_batch> L<layer> <STAGE>", e.g. "MB0 L3 DISPATCH".
std::string op_name(int micro_batch, int layer, Stage stage);

/// The operators of `layers` consecutive layers under template `t`, with every dependency edge and, per resource, an
/// edge from each operator to the next one in the template's order. Throws std::invalid_argument if layers < 1 and
/// std::logic_error if the template is malformed (a stage missing from its resource's order, or on the wrong one).
LayerGraph build_layer_graph(const PipelineTemplate& t, int layers);

/// Does a compute_time_factor (fewer SMs for compute) stretch this operator? Kernels on the compute stream, yes;
/// the host's notify wait and anything off the compute stream, no.
bool stretched_by_sm_share(Resource resource, Stage stage);

/// Sets every node's duration from its micro-batch's stage durations; compute kernels are multiplied by
/// compute_time_factor. Throws std::invalid_argument if the graph has a micro-batch with no durations.
void assign_durations(LayerGraph& graph, std::span<const StageDurations> micro_batches, double compute_time_factor);

}  // namespace moesim::pipeline
