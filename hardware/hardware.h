// Hardware: a GPU node's spec (hardware/specs/NAME.json) and the published kernel tables that calibrate its costs
// (hardware/tables/TABLES-*.json). H100 and H200 are served by the H800 tables; how a table measured on one GPU
// carries to another is decided in one place, Hardware::carry_factor().
//
//   auto hw = moesim::hardware::load_hardware("h800");
//   double nic = hw.node.nic_bytes_per_s;
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/precision.h"

namespace moesim::hardware {

/// The GPU generation: what compute precisions its tensor cores run (FP4 only on Blackwell).
enum class Architecture { kHopper, kBlackwell };
std::string_view architecture_name(Architecture a);

struct GpuSpec {
  std::string model;
  Architecture architecture = Architecture::kHopper;
  int sms = 0;
  double hbm_bytes = 0;
  double hbm_bytes_per_s = 0;
  double bf16_flops = 0;
  double fp8_flops = 0;
  double fp4_flops = 0;  ///< dense FP4 tensor peak; 0 where the tensor cores have no FP4 (Hopper)
  double boost_clock_mhz = 0;
  double sustained_clock_mhz = 0;
};

struct NodeSpec {
  int gpus = 0;
  double nvlink_bytes_per_s = 0;  ///< achieved, per GPU and direction
  /// GPUs that reach each other over NVLink: the node for HGX kinds, the rack for NVL72. Traffic between GPUs of one
  /// domain never touches a NIC; a unit stays a whole number of nodes.
  int nvlink_domain_gpus = 0;
  int nics = 0;
  double nic_bytes_per_s = 0;            ///< per NIC (one per GPU)
  double kv_cache_read_bytes_per_s = 0;  ///< disk KV cache (3FS) into one node
  /// What one of its GPUs costs an hour, rented: every kind priced on one basis (the spec says its source and date),
  /// so that plans comparing kinds compare like with like. A scenario's economics may override it.
  double usd_per_gpu_hour = 0;
};

/// One published GEMM point: `groups` x (m_per_group x n x k); groups = 1 for dense.
struct GemmPoint {
  int groups = 1;
  double m = 0;  ///< rows per group
  double n = 0;
  double k = 0;
  double tflops = 0;
  double gbps = 0;
  double flops() const { return 2.0 * groups * m * n * k; }
  double seconds() const { return flops() / (tflops * 1e12); }
};

struct GemmTables {
  std::vector<GemmPoint> dense;
  std::vector<GemmPoint> contiguous;
  std::vector<GemmPoint> masked;
};

struct FlashMlaTable {
  double memory_bound_bytes_per_s = 0;
  double compute_bound_flops = 0;
};

struct DeepEpNormalRow {
  int ep = 0;
  bool intranode = false;
  double dispatch_bytes_per_s = 0;
  double combine_bytes_per_s = 0;
};

struct DeepEpLowLatencyRow {
  int ep = 0;
  double dispatch_s = 0;
  double dispatch_bytes_per_s = 0;
  double combine_s = 0;
  double combine_bytes_per_s = 0;
};

struct DeepEpTables {
  std::vector<DeepEpNormalRow> normal;
  std::vector<DeepEpLowLatencyRow> low_latency;
  int normal_kernel_sms = 24;  ///< SMs the normal kernels hold while in flight
};

/// A kernel of DeepSeek's training profile (tokens per GPU and SMs as in the profile's header).
struct ProfileKernel {
  std::string name;
  double seconds = 0;
  std::string use;  ///< elementwise | calibration | validation
  std::string per;  ///< elementwise: "token" or "routed_row"
  GemmPoint gemm;   ///< validation GEMMs: the shape (tflops unset)
  bool grouped = false;
};

struct TrainingProfile {
  int tokens = 0;
  int gemm_sms = 0;
  int ep = 0;
  std::vector<ProfileKernel> kernels;
  const ProfileKernel& kernel(std::string_view name) const;
};

/// One kernel of DeepSeek's published inference profiles with the shape it ran at (hardware/tables/*-inference-
/// profiles.json). Which fields are set depends on the family.
struct ProfileMeasurement {
  std::string profile;  ///< prefill | decode
  std::string name;
  std::string family;  ///< dense_gemm | batched_gemm | grouped_contiguous | grouped_masked | prefill_attention |
                       ///< decode_attention | elementwise | router
  double seconds = 0;
  int sms = 0;
  GemmPoint gemm;                    ///< GEMM families: groups (grouped) and m (per group), n, k
  int batch = 1;                     ///< batched_gemm: GEMMs of this shape side by side (heads)
  double pairs = 0;                  ///< prefill_attention: causal (query, key) pairs
  double sequences = 0;              ///< decode_attention
  double kv_tokens = 0;              ///< decode_attention: summed KV length
  int query_per_seq = 1;             ///< decode_attention
  std::vector<std::string> operators;  ///< elementwise, router: the model's layer operators the row times
  double units = 0;                    ///< elementwise, router: tokens or routed rows
};

/// Per-step terms of DeepSeek's decode and prefill profiles that are not kernels of the layer graph, each with its
/// source in the table file.
struct ProfileStepTerms {
  double decode_tokens_per_micro_batch = 0;  ///< the tokens the decode terms were measured at
  double decode_send_dispatch_s = 0;         ///< low-latency dispatch send kernel at the profile's 128 tokens
  double decode_send_combine_s = 0;          ///< low-latency combine send kernel
  double decode_receive_s = 0;               ///< a receive kernel's own work (data landed)
  double decode_graph_gap_per_slot_s = 0;    ///< gaps between kernels in the CUDA graph, per micro-batch and layer
  double decode_outside_graph_s = 0;         ///< host work per step outside the graph
  double decode_first_dispatch_wait_s = 0;   ///< the step's first dispatch waiting for ranks that start later (EP128)
  double prefill_notify_s = 0;               ///< DeepEP normal notify per micro-batch and layer
};

struct InferenceProfiles {
  std::vector<ProfileMeasurement> kernels;
  ProfileStepTerms step;
};

/// What a measured rate depends on, for carrying a table from the GPU it was measured on to another.
enum class Bound { kCompute, kHbm, kNvlink, kNic };

struct Hardware {
  std::string name;
  GpuSpec gpu;
  NodeSpec node;
  std::string tables_gpu;  ///< the GPU the kernel tables were measured on
  GpuSpec tables_gpu_spec;
  NodeSpec tables_node_spec;
  GemmTables gemm;
  FlashMlaTable flashmla;
  DeepEpTables deepep;
  TrainingProfile profile;
  InferenceProfiles inference;  ///< DeepSeek's prefill and decode profiles (on tables_gpu)

  /// Time factor for a rate measured on tables_gpu, bound by `bound`, when it runs on this GPU: compute-bound
  /// kernels scale with the tensor peak per SM (their callers give the SMs they run on); memory-, NVLink- and
  /// NIC-bound kernels scale with the ratio of the bandwidths. 1 on the tables' own GPU.
  double carry_factor(Bound bound) const;
};

/// Loads hardware/specs/NAME.json and the tables it names. Unknown names list the known ones; a missing field,
/// a wrong type, a negative bandwidth or a bad table are InputErrors naming the file and the field.
Hardware load_hardware(std::string_view name);
/// The same from explicit files (tests).
Hardware load_hardware_files(const std::filesystem::path& spec, const std::filesystem::path& tables_dir);
/// The kernel table kinds, in the order load_hardware_files reads them (file TABLES-KIND.json each).
inline constexpr std::string_view kTableKinds[] = {"deepgemm", "flashmla", "deepep", "training-profile",
                                                   "inference-profiles"};
/// Reads one kernel table file of `kind` (one of kTableKinds) into its field of `hw`; the inference profiles are
/// Bad content is an InputError naming the file (the inference profiles' operator names are checked against the
/// model where they are fitted, models/cost/kernels.h).
void load_table_file(Hardware& hw, std::string_view kind, const std::filesystem::path& file);
/// Only the node of hardware/specs/NAME.json (GPUs, links), without the kernel tables: what the unit geometry needs.
NodeSpec load_node_spec(std::string_view name);

/// The precision a GEMM over weights stored in `storage` computes in on this GPU: FP4 on Blackwell's FP4 tensor
/// cores; on Hopper, which has none, FP4 weights are dequantized and the GEMM runs in BF16 (weight-only FP4: the
/// storage and bandwidth of FP4 at the BF16 peak).
Precision compute_precision(Precision storage, const GpuSpec& gpu);
/// The dense tensor peak of `gpu` in `compute`; an InputError when the kind has none (FP4 on Hopper).
double peak_flops(const GpuSpec& gpu, Precision compute);

/// Names of the specs in hardware/specs/.
std::vector<std::string> hardware_names();
/// The names as a help text: "b200 | gb200-nvl72 | h100 | ...".
std::string hardware_help();

/// One kind's spec without its kernel tables: what `moesim hardware` lists and shows.
struct HardwareSpec {
  std::string name;
  std::string about;
  std::string kernel_tables;  ///< the kind whose measured kernel tables calibrate this one
  GpuSpec gpu;
  NodeSpec node;
  std::filesystem::path file;
};
HardwareSpec load_hardware_spec(std::string_view name);

}  // namespace moesim::hardware
