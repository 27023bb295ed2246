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
  double v = r.sourced_number(
      key, {static_cast<double>(min), 1e9, false, min > 0 ? "a positive whole number" : "a non-negative whole number"});
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

// {"value": true, "source": "..."}: a yes/no property of the architecture, with its source.
bool sourced_bool(JsonReader& r, std::string_view key) {
  auto field = r.object(key);
  bool v = field.boolean("value");
  if (field.string("source").empty()) field.fail("source", "a model property needs a source");
  field.finish();
  return v;
}

GqaDims parse_gqa(JsonReader& r, const ModelSpec& m, int heads) {
  GqaDims d;
  d.kv_heads = dimension(r, "kv_heads");
  d.head_dim = dimension(r, "head_dim");
  if (heads % d.kv_heads != 0) {
    r.fail("kv_heads", fmt::format("{} KV heads do not divide the {} query heads", d.kv_heads, heads));
  }
  if (r.has("sliding_window") != r.has("sliding_window_layers")) {
    r.fail(r.has("sliding_window") ? "sliding_window_layers" : "sliding_window",
           "sliding_window and sliding_window_layers go together");
  }
  if (r.has("sliding_window")) {
    d.sliding_window = dimension(r, "sliding_window");
    d.sliding_window_layers = dimension(r, "sliding_window_layers");
    if (d.sliding_window > m.context) {
      r.fail("sliding_window",
             fmt::format("a window of {} tokens is longer than the context ({})", d.sliding_window, m.context));
    }
    if (d.sliding_window_layers > m.layers) {
      r.fail("sliding_window_layers",
             fmt::format("{} windowed layers, but the model has {} layers", d.sliding_window_layers, m.layers));
    }
  }
  if (r.has("qk_norm")) d.qk_norm = sourced_bool(r, "qk_norm");
  return d;
}

// The layer count and the context are read before the attention block: GQA's window is checked against them.
AttentionSpec parse_attention(JsonReader r, const ModelSpec& m) {
  AttentionSpec a;
  std::string kind = r.choice("kind", {"mla", "gqa"});
  a.kind = kind == "mla" ? AttentionKind::kMla : AttentionKind::kGqa;
  a.heads = dimension(r, "heads");
  if (a.kind == AttentionKind::kMla) {
    a.mla = parse_mla(r);
  } else {
    a.gqa = parse_gqa(r, m, a.heads);
  }
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
  if (e.experts_per_token > e.routed_experts) {
    r.fail("experts_per_token",
           fmt::format("{} experts per token, but only {} routed experts", e.experts_per_token, e.routed_experts));
  }
  if (e.routed_experts % e.expert_groups != 0) {
    r.fail("expert_groups",
           fmt::format("{} groups do not divide the {} routed experts", e.expert_groups, e.routed_experts));
  }
  if (e.groups_per_token > e.expert_groups) {
    r.fail("groups_per_token",
           fmt::format("{} groups per token, but only {} groups", e.groups_per_token, e.expert_groups));
  }
  const int reachable = e.groups_per_token * (e.routed_experts / e.expert_groups);
  if (e.experts_per_token > reachable) {
    r.fail("experts_per_token", fmt::format("{} experts per token, but the {} groups a token reaches hold {}",
                                            e.experts_per_token, e.groups_per_token, reachable));
  }
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
  m.about = r.string_or("about", "");
  m.file = file;
  m.hidden = dimension(r, "hidden");
  m.layers = dimension(r, "layers");
  m.vocab = dimension(r, "vocab");
  m.context = dimension(r, "context");
  m.attention = parse_attention(r.object("attention"), m);
  m.moe = parse_ffn(r.object("ffn"), m);
  if (auto mtp = r.optional_object("mtp")) {
    m.mtp.modules = static_cast<int>(mtp->sourced_number("modules", {0, 1, false, "0 or 1"}));
    m.mtp.acceptance = mtp->sourced_number("acceptance", Range::fraction());
    mtp->finish();
  }
  m.precision = parse_precision_block(r.object("precision"));
  if (auto routing = r.optional_object("routing")) {
    m.routing.statistics_published = routing->choice("statistics", {"published", "none"}) == "published";
    m.routing.source = routing->string("source");
    if (m.routing.source.empty()) routing->fail("source", "say where the statistics are, or what was searched");
    routing->finish();
  }
  r.finish();
  return m;
}

double ModelSpec::kv_bytes_per_token_per_layer() const {
  const double element = hardware::element_bytes(precision.kv);
  if (attention.kind == AttentionKind::kGqa) return 2.0 * attention.gqa.kv_heads * attention.gqa.head_dim * element;
  const auto& a = attention.mla;
  return (a.kv_lora_rank + a.qk_rope_head_dim) * element;
}

double ModelSpec::kv_bytes_for_sequence(double tokens) const {
  const bool windowed = attention.kind == AttentionKind::kGqa && attention.gqa.sliding_window > 0;
  const int windowed_layers = windowed ? attention.gqa.sliding_window_layers : 0;
  const double window_tokens = windowed ? std::min(tokens, static_cast<double>(attention.gqa.sliding_window)) : 0.0;
  return kv_bytes_per_token_per_layer() * ((layers - windowed_layers) * tokens + windowed_layers * window_tokens);
}

namespace {

// Weights of one layer's attention. MLA: the query's down and up projections (or one projection without a q
// latent), the KV down projection with the RoPE key, the KV up projection to keys and values, the output
// projection. GQA: q and o are hidden x heads x head_dim, k and v hidden x kv_heads x head_dim each. Every term is a
// whole number far below 2^53, so the order of the sum does not change the value.
double attention_parameters(const ModelSpec& m) {
  const double h = m.hidden;
  const int heads = m.attention.heads;
  if (m.attention.kind == AttentionKind::kGqa) {
    const auto& g = m.attention.gqa;
    return 2.0 * h * heads * g.head_dim + 2.0 * h * g.kv_heads * g.head_dim;
  }
  const auto& a = m.attention.mla;
  const double q = a.q_lora_rank > 0 ? h * a.q_lora_rank + static_cast<double>(a.q_lora_rank) * heads *
                                                               (a.qk_nope_head_dim + a.qk_rope_head_dim)
                                     : h * heads * (a.qk_nope_head_dim + a.qk_rope_head_dim);
  return q + h * (a.kv_lora_rank + a.qk_rope_head_dim) +
         static_cast<double>(a.kv_lora_rank) * heads * (a.qk_nope_head_dim + a.v_head_dim) +
         static_cast<double>(heads) * a.v_head_dim * h;
}

// Parameters of everything but the routed experts and the embedding table (conventions in model.h): attention,
// dense FFNs, routers, shared experts and the LM head.
double parameters_besides_routed_experts(const ModelSpec& m) {
  const double h = m.hidden;
  const double expert = 3.0 * h * m.moe.expert_ffn;  // SwiGLU: gate, up and down
  return m.layers * attention_parameters(m) + m.dense_layers * 3.0 * h * m.dense_ffn +
         m.moe_layers() * (h * m.moe.routed_experts + m.moe.shared_experts * expert) + h * m.vocab;
}

}  // namespace

double ModelSpec::total_parameters() const {
  const double expert = 3.0 * hidden * moe.expert_ffn;
  return parameters_besides_routed_experts(*this) + moe_layers() * moe.routed_experts * expert +
         static_cast<double>(hidden) * vocab;
}

double ModelSpec::active_parameters() const {
  const double expert = 3.0 * hidden * moe.expert_ffn;
  return parameters_besides_routed_experts(*this) + moe_layers() * moe.experts_per_token * expert;
}

double ModelSpec::weight_bytes_per_gpu(int gpus, int expert_slots) const {
  const double h = hidden;
  const double dense_bytes = hardware::element_bytes(precision.dense);
  const double moe_bytes = hardware::element_bytes(precision.moe);
  // Each layer's router is counted with its attention, in every layer (dense ones too, and the MTP module's): three
  // routers too many for DeepSeek-V3 (5.5 M weights), kept so that its figures do not move. Each term is weighted
  // by its precision before the sum: with FP8 everywhere (1 B) the sum is the one DeepSeek-V3's figures were made
  // with, bit for bit.
  const double attention_params = attention_parameters(*this) + h * moe.routed_experts;
  const double expert = 3.0 * h * moe.expert_ffn;
  const double dense_ffn_params = 3.0 * h * dense_ffn;
  const double per_gpu_experts = static_cast<double>(expert_slots) / gpus;
  const double attention_b = attention_params * dense_bytes;
  const double shared_b = moe.shared_experts * expert * dense_bytes;
  const double routed_b = per_gpu_experts * expert * moe_bytes;
  double bytes =
      layers * attention_b + moe_layers() * (shared_b + routed_b) + dense_layers * dense_ffn_params * dense_bytes;
  // MTP module: one more MoE layer and its 2h -> h projection.
  bytes += mtp.modules * (attention_b + shared_b + routed_b + 2.0 * h * h * dense_bytes);
  const double bf16_params = 2.0 * h * vocab;  // embedding and LM head, BF16
  return bytes + bf16_params * hardware::element_bytes(Precision::kBf16);
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

std::vector<std::string> ModelSpec::served_names() const {
  std::vector<std::string> out{name};
  out.insert(out.end(), aliases.begin(), aliases.end());
  return out;
}

std::string canonical_model_name(std::string_view name) {
  auto same = [name](std::string_view known) {
    return std::equal(known.begin(), known.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  };
  for (const auto& m : registered_models()) {
    if (same(m.name) || std::any_of(m.aliases.begin(), m.aliases.end(), same)) return m.name;
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
  bool looks_like_path = name_or_path.find('/') != std::string_view::npos ||
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
