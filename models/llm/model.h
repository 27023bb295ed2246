// ModelSpec: an MoE model's architecture as data (models/llm/NAME.json, every value with its source), and the
// registry of the models the project knows, by name. What a step costs is derived from these dimensions by code per
// attention kind (models/llm/operators.h), never by code per model.
//
//   auto m = moesim::llm::load_model("deepseek-v3");          // a registered name or alias, or a model file's path
//   double kv = m.kv_bytes_per_token();                        // 70,272 B for DeepSeek-V3
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

/// Grouped-query attention's dimensions.
struct GqaDims {
  int kv_heads = 0;
  int head_dim = 0;
  int sliding_window = 0;         ///< tokens a windowed layer attends to; 0: no windowed layers
  int sliding_window_layers = 0;  ///< how many of the layers use the window (the others attend to all context)
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

  int moe_layers() const { return layers - dense_layers; }
  /// KV cache bytes of one token in one (full-attention) layer, in the KV precision: MLA stores the latent and the
  /// RoPE key (1,152 B for DeepSeek-V3 in BF16); GQA stores a key and a value per KV head.
  double kv_bytes_per_token_per_layer() const;
  /// KV bytes of one token over all layers (70,272 for V3).
  double kv_bytes_per_token() const { return kv_bytes_per_token_per_layer() * layers; }
  /// Bytes of one token's hidden state in FP8 dispatch (values + one FP32 scale per 128).
  double dispatch_bytes_per_token() const { return hidden + hidden / 128 * 4.0; }
  /// Bytes of one token's hidden state in BF16 combine.
  double combine_bytes_per_token() const { return 2.0 * hidden; }
  /// Weight bytes one GPU holds in a unit of `gpus` GPUs with `expert_slots` routed-expert slots in all: its
  /// routed experts, plus the attention, shared expert, dense layers, embedding, LM head and MTP module, which
  /// every data-parallel rank holds in full.
  double weight_bytes_per_gpu(int gpus, int expert_slots) const;
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
