// ModelSpec: an MoE model's architecture as data (models/llm/NAME.json, every value with its source), and the
// registry of the models the project knows, by name. What a step costs is derived from these dimensions by code per
// attention kind (models/llm/operators.h), never by code per model.
//
//   auto m = moesim::llm::load_model("deepseek-v3");          // a registered name or alias, or a model file's path
//   double kv = m.kv_bytes_per_token();                        // 70,272 B for DeepSeek-V3
//
// Parameter counts (total_parameters, active_parameters) come from the dimensions alone; no count is stored in a
// file. Conventions, chosen so that each registered model's published figures are met (tests/llm/parameters_test.cc):
//   - every weight matrix is counted: attention projections, routers, routed and shared experts, dense FFNs, and the
//     embedding and LM head as two matrices (no registered model ties them: tie_word_embeddings is false in each);
//   - norms (RMSNorm scales, Qwen3's q/k norms), biases (gpt-oss's attention, router and expert biases) and attention
//     sinks (gpt-oss) are not counted: together under 0.05 % of any registered model;
//   - MTP modules are not counted (DeepSeek-V3's 671 B excludes its 14 B MTP module);
//   - active = what one token's forward pass multiplies by: attention, dense FFNs, shared experts, routers, the
//     experts_per_token routed experts of each MoE layer and the LM head. The embedding table is not active (a token
//     reads one row of it): with it, DeepSeek-V3 would be 37.6 B, Kimi-K2 32.9 B and gpt-oss-120b 5.7 B active,
//     against published 37 B, 32 B and 5.1 B.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hardware/precision.h"

namespace moesim::llm {

using hardware::Precision;

enum class AttentionKind : unsigned char {
  kMla,  ///< multi-head latent attention (DeepSeek-V2/V3, Kimi-K2): a compressed KV latent shared by all heads
  kGqa,  ///< grouped-query attention; multi-head attention is the case kv_heads == heads
};

/// "mla" | "gqa".
std::string_view attention_kind_name(AttentionKind kind);

/// Multi-head latent attention's dimensions (DeepSeek-V2 paper sec. 2.1).
struct MlaDims {
  int q_lora_rank = 0;  ///< the query's low-rank compression; 0: queries projected from the hidden state directly
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
};

/// Grouped-query attention's dimensions. gpt-oss's attention sinks (one learned logit per head, added to the softmax
/// denominator) are not described: 64 numbers a layer, and one more term per head in the softmax, change neither the
/// bytes nor the FLOPs of a step measurably.
struct GqaDims {
  int kv_heads = 0;               ///< key/value heads; each serves heads / kv_heads query heads
  int head_dim = 0;               ///< dimension of one query, key and value head
  int sliding_window = 0;         ///< tokens a windowed layer attends to; 0: no windowed layers
  int sliding_window_layers = 0;  ///< how many of the layers use the window (the others attend to all context)
  bool qk_norm = false;           ///< an RMSNorm over each query and key head before RoPE (Qwen3): elementwise work
};

struct AttentionSpec {
  AttentionKind kind = AttentionKind::kMla;
  int heads = 0;  ///< query heads
  MlaDims mla;    ///< kind kMla
  GqaDims gqa;    ///< kind kGqa
};

/// The feed-forward side: the first `dense_layers` layers are dense, the rest are MoE.
struct MoeSpec {
  int routed_experts = 0;
  int experts_per_token = 0;
  int expert_groups = 1;     ///< group-limited routing: experts in groups of routed_experts / expert_groups
  int groups_per_token = 1;  ///< groups a token may reach (equal to expert_groups: no limit)
  int shared_experts = 0;
  int expert_ffn = 0;  ///< intermediate size of one expert (routed and shared)
};

/// Multi-token prediction modules and how often their draft token is accepted.
struct MtpSpec {
  int modules = 0;
  double acceptance = 0;
};

/// What is known of how tokens spread over the routed experts. Where no per-expert routing statistics are published,
/// a run should use uniform routing or a skew it states as assumed (--expert-skew): the `calibrated` preset is fitted
/// to DeepSeek-V3/R1's statistics, not to any other model's. Nothing enforces this yet.
struct RoutingNote {
  bool statistics_published = false;  ///< whether measured per-expert loads of this model are published
  std::string source;                 ///< where they are, or what was searched; empty when the file does not say
};

/// Each component's native precision; a scenario may override moe, attention and kv.
struct PrecisionSpec {
  Precision moe = Precision::kFp8;         ///< routed experts' weights and their GEMMs
  Precision dense = Precision::kFp8;       ///< the other linear layers: attention projections, shared expert, dense FFN
  Precision attention = Precision::kBf16;  ///< the core attention's arithmetic
  Precision kv = Precision::kBf16;         ///< the KV cache
};

struct ModelSpec {
  std::string name;                  ///< registered name (the file's stem): deepseek-v3
  std::string display_name;          ///< DeepSeek-V3
  std::vector<std::string> aliases;  ///< other names a scenario or trace may use: deepseek-r1
  std::string about;                 ///< one paragraph: what the model is, its published sizes
  std::filesystem::path file;        ///< the file it was read from (for its sources: `moesim model show`)
  int hidden = 0;
  int layers = 0;        ///< decoder layers, MTP modules not counted
  int dense_layers = 0;  ///< the first layers, with a dense FFN
  int dense_ffn = 0;     ///< the dense FFN's intermediate size (0 when no layer is dense)
  int vocab = 0;
  int context = 0;  ///< the longest context the model serves (tokens)
  AttentionSpec attention;
  MoeSpec moe;
  MtpSpec mtp;
  PrecisionSpec precision;
  RoutingNote routing;

  int moe_layers() const { return layers - dense_layers; }
  /// KV cache bytes of one token in one layer, in the KV precision: MLA stores the latent and the RoPE key (1,152 B
  /// for DeepSeek-V3 in BF16); GQA stores a key and a value per KV head (2 x kv_heads x head_dim elements).
  double kv_bytes_per_token_per_layer() const;
  /// KV bytes of one token over all layers, as if every layer attended to all context (70,272 for V3). For a model
  /// with sliding-window layers (gpt-oss) this is what a token adds while its sequence is within the window; beyond
  /// it the windowed layers stop growing, so it over-states a long sequence's KV: use kv_bytes_for_sequence().
  double kv_bytes_per_token() const { return kv_bytes_per_token_per_layer() * layers; }
  /// KV bytes of one sequence of `tokens` tokens over all layers: full-attention layers hold every token, windowed
  /// layers at most sliding_window of them.
  double kv_bytes_for_sequence(double tokens) const;
  /// Parameters of the model, from its dimensions (conventions in the header comment): 671.0 B for DeepSeek-V3.
  double total_parameters() const;
  /// Parameters one token's forward pass uses (conventions in the header comment): 36.6 B for DeepSeek-V3.
  double active_parameters() const;
  /// Bytes of one token's hidden state as dispatched to the experts: FP8 (values and an FP32 scale per 128) when
  /// the routed experts take FP8 or FP4, BF16 when they take BF16.
  double dispatch_bytes_per_token() const {
    return precision.moe == Precision::kBf16 ? 2.0 * hidden : hidden + hidden / 128.0 * 4.0;
  }
  /// Bytes of one token's hidden state in BF16 combine.
  double combine_bytes_per_token() const { return 2.0 * hidden; }
  /// Weight bytes one GPU holds in a unit of `gpus` GPUs with `expert_slots` routed-expert slots in all: its
  /// routed experts (in precision.moe), plus the attention, routers, shared expert, dense layers and MTP module (in
  /// precision.dense) and the embedding and LM head (BF16), which every data-parallel rank holds in full.
  double weight_bytes_per_gpu(int gpus, int expert_slots) const;
  /// Its name and then its aliases: the names a trace's model column may give for it.
  std::vector<std::string> served_names() const;
};

/// Loads a model by registered name or alias (models/llm/NAME.json), or from a file path (a user's own model:
/// anything with a '/' or ending in .json). Unknown names list the known ones; a bad file is an InputError naming
/// the file and the key.
ModelSpec load_model(std::string_view name_or_path);
/// Loads and checks one model file.
ModelSpec load_model_file(const std::filesystem::path& file);

/// A registered model: its name, the aliases its file declares, and its file.
struct ModelEntry {
  std::string name;
  std::vector<std::string> aliases;
  std::filesystem::path file;
};
/// Every model in models/llm/, by name.
std::vector<ModelEntry> registered_models();
/// The registered name a name or alias stands for ("deepseek-r1" -> "deepseek-v3"); empty when none.
std::string canonical_model_name(std::string_view name_or_alias);
/// "deepseek-v3 (deepseek-r1), ...": for error messages and help texts.
std::string known_models();

}  // namespace moesim::llm
