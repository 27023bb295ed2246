#include "models/llm/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/paths.h"

namespace moesim::llm {

namespace {

// Every number of a model file is {"value": x, "source": "..."}; a dimension is a whole number in its range.
int dimension(JsonReader& r, std::string_view key, int min = 1) {
  double v = r.sourced_number(key, {static_cast<double>(min), 1e9, false, "a whole number"});
  if (v != std::floor(v)) r.fail(key, fmt::format("expected a whole number, got {}", v));
  return static_cast<int>(v);
}

Precision sourced_precision(JsonReader& r, std::string_view key) {
  auto field = r.object(key);
  std::string name = field.string("value");
  field.string("source");
  field.finish();
  auto p = hardware::parse_precision(name);
  if (!p) r.fail(key, fmt::format("expected one of {}, got \"{}\"", hardware::precision_names(), name));
  return *p;
}

MlaDims parse_mla(JsonReader& r) {
  MlaDims d;
  d.q_lora_rank = dimension(r, "q_lora_rank", 0);
  d.kv_lora_rank = dimension(r, "kv_lora_rank");
  d.qk_nope_head_dim = dimension(r, "qk_nope_head_dim");
  d.qk_rope_head_dim = dimension(r, "qk_rope_head_dim");
  d.v_head_dim = dimension(r, "v_head_dim");
  return d;
}

AttentionSpec parse_attention(JsonReader r) {
  AttentionSpec a;
  std::string kind = r.choice("kind", {"mla"});
  a.kind = AttentionKind::kMla;
  a.heads = dimension(r, "heads");
  if (kind == "mla") a.mla = parse_mla(r);
  r.finish();
  return a;
}

MoeSpec parse_ffn(JsonReader r, ModelSpec& m) {
  MoeSpec e;
  m.dense_layers = dimension(r, "dense_layers", 0);
  m.dense_ffn = dimension(r, "dense_ffn", 0);
  e.routed_experts = dimension(r, "routed_experts");
  e.experts_per_token = dimension(r, "experts_per_token");
  e.expert_groups = dimension(r, "expert_groups");
  e.groups_per_token = dimension(r, "groups_per_token");
  e.shared_experts = dimension(r, "shared_experts", 0);
  e.expert_ffn = dimension(r, "expert_ffn");
  if (m.dense_layers >= m.layers) r.fail("dense_layers", "must be fewer than layers");
  if (m.dense_layers > 0 && m.dense_ffn == 0) r.fail("dense_ffn", "dense layers need a positive dense_ffn");
  if (e.routed_experts % e.expert_groups != 0) r.fail("expert_groups", "must divide routed_experts");
  if (e.groups_per_token > e.expert_groups) r.fail("groups_per_token", "must not exceed expert_groups");
  r.finish();
  return e;
}

PrecisionSpec parse_precision_block(JsonReader r) {
  PrecisionSpec p;
  p.moe = sourced_precision(r, "moe");
  p.dense = sourced_precision(r, "dense");
  p.attention = sourced_precision(r, "attention");
  p.kv = sourced_precision(r, "kv");
  r.finish();
  return p;
}

std::vector<std::string> string_list(JsonReader& r, std::string_view key) {
  std::vector<std::string> out;
  if (!r.has(key)) return out;
  const auto& raw = r.raw(key);
  if (!raw.is_array()) r.fail(key, "expected an array of names");
  for (const auto& v : raw) {
    if (!v.is_string() || v.get<std::string>().empty()) r.fail(key, "expected an array of non-empty names");
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::filesystem::path models_dir() { return data_path("models/llm"); }

}  // namespace

std::string_view attention_kind_name(AttentionKind kind) { return kind == AttentionKind::kMla ? "mla" : "gqa"; }

ModelSpec load_model_file(const std::filesystem::path& file) {
  auto doc = load_json_file(file);
  JsonReader r(doc, file.string());
  ModelSpec m;
  m.name = r.string("name");
  m.display_name = r.string_or("display_name", m.name);
  m.aliases = string_list(r, "aliases");
  r.string_or("about", "");
  m.hidden = dimension(r, "hidden");
  m.layers = dimension(r, "layers");
  m.vocab = dimension(r, "vocab");
  m.context = dimension(r, "context");
  m.attention = parse_attention(r.object("attention"));
  m.moe = parse_ffn(r.object("ffn"), m);
  if (auto mtp = r.optional_object("mtp")) {
    m.mtp.modules = static_cast<int>(mtp->sourced_number("modules", {0, 1, false, "0 or 1"}));
    m.mtp.acceptance = mtp->sourced_number("acceptance", Range::fraction());
    mtp->finish();
  }
  m.precision = parse_precision_block(r.object("precision"));
  r.finish();
  return m;
}

double ModelSpec::kv_bytes_per_token_per_layer() const {
  const auto& a = attention.mla;
  return (a.kv_lora_rank + a.qk_rope_head_dim) * hardware::element_bytes(precision.kv);
}

double ModelSpec::weight_bytes_per_gpu(int gpus, int expert_slots) const {
  const auto& a = attention.mla;
  const int heads = attention.heads;
  double h = hidden;
  double attention_params = h * a.q_lora_rank + h * (a.kv_lora_rank + a.qk_rope_head_dim) +
                            static_cast<double>(a.q_lora_rank) * heads * (a.qk_nope_head_dim + a.qk_rope_head_dim) +
                            static_cast<double>(a.kv_lora_rank) * heads * (a.qk_nope_head_dim + a.v_head_dim) +
                            static_cast<double>(heads) * a.v_head_dim * h + h * moe.routed_experts;
  double expert = 3.0 * h * moe.expert_ffn;
  double dense_ffn_params = 3.0 * h * dense_ffn;
  double per_gpu_experts = static_cast<double>(expert_slots) / gpus;
  double params = layers * attention_params +
                  moe_layers() * (moe.shared_experts * expert + per_gpu_experts * expert) +
                  dense_layers * dense_ffn_params;
  // MTP module: one more MoE layer and its 2h -> h projection.
  params += mtp.modules * (attention_params + moe.shared_experts * expert + per_gpu_experts * expert + 2.0 * h * h);
  double bf16_params = 2.0 * h * vocab;  // embedding and LM head, BF16
  return params * hardware::element_bytes(precision.dense) + bf16_params * 2.0;
}

std::vector<ModelEntry> registered_models() {
  std::vector<ModelEntry> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(models_dir(), ec)) {
    if (e.path().extension() != ".json") continue;
    auto doc = load_json_file(e.path());
    JsonReader r(doc, e.path().string());
    ModelEntry entry{e.path().stem().string(), string_list(r, "aliases"), e.path()};
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(), [](const ModelEntry& a, const ModelEntry& b) { return a.name < b.name; });
  return out;
}

std::string canonical_model_name(std::string_view name) {
  for (const auto& m : registered_models()) {
    if (m.name == name || std::find(m.aliases.begin(), m.aliases.end(), name) != m.aliases.end()) return m.name;
  }
  return {};
}

std::string known_models() {
  std::string out;
  for (const auto& m : registered_models()) {
    out += (out.empty() ? "" : ", ") + m.name;
    if (!m.aliases.empty()) {
      std::string aliases;
      for (const auto& a : m.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      out += " (" + aliases + ")";
    }
  }
  return out;
}

ModelSpec load_model(std::string_view name_or_path) {
  std::string canonical = canonical_model_name(name_or_path);
  if (!canonical.empty()) {
    ModelSpec m = load_model_file(models_dir() / (canonical + ".json"));
    if (m.name != canonical) {
      throw InputError(fmt::format("{}: name: \"{}\" must match the file's name \"{}\"",
                                   (models_dir() / (canonical + ".json")).string(), m.name, canonical));
    }
    return m;
  }
  bool looks_like_path =
      name_or_path.find('/') != std::string_view::npos ||
      (name_or_path.size() > 5 && name_or_path.substr(name_or_path.size() - 5) == ".json");
  if (looks_like_path) {
    // A relative path is relative to the data folder, as every data path of the project is.
    std::filesystem::path p(name_or_path);
    if (!p.is_absolute()) p = data_path(std::string(name_or_path));
    if (!file_exists(p)) throw InputError(fmt::format("model file \"{}\" not found", name_or_path));
    return load_model_file(p);
  }
  throw InputError(fmt::format("unknown model \"{}\" (known: {})", name_or_path, known_models()));
}

}  // namespace moesim::llm
