#include "traces/day_profile.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "common/json_reader.h"
#include "common/paths.h"
#include "traces/demand_shape.h"

namespace moesim::traces {

namespace {

LengthSpec read_length(JsonReader r, bool mean_solved) {
  LengthSpec spec;
  if (!mean_solved) spec.mean = r.number("mean", Range::positive());
  spec.sigma = r.number("sigma", {0.0, 4.0, true, "a number in (0, 4]"});
  spec.max = static_cast<int32_t>(r.integer("max", {1, int64_t{1} << 30, "an integer in [1, 2^30]"}));
  if (!mean_solved && spec.mean >= spec.max) r.fail("mean", fmt::format("must be below max ({})", spec.max));
  r.string_or("why", "");
  r.finish();
  return spec;
}

}  // namespace

DayProfile load_day_profile(const std::string& name_or_path) {
  std::filesystem::path path = name_or_path;
  if (path.extension() != ".json") path = data_path("traces/profiles/" + name_or_path + ".json");
  if (!file_exists(path)) {
    throw InputError(fmt::format("unknown profile '{}' (no file {})", name_or_path, path.string()));
  }
  const std::string file = path.string();
  const nlohmann::json doc = load_json_file(path);
  JsonReader r(doc, file);

  DayProfile profile;
  profile.file = file;
  profile.name = r.string("name");
  r.string_or("description", "");
  std::filesystem::path demand = r.string("hourly_demand");
  profile.hourly_shares = load_hourly_demand(demand.is_absolute() ? demand : data_path(demand.string()));

  JsonReader t = r.object("targets");
  t.string_or("source", "");
  profile.targets.input_tokens = t.number("input_tokens", Range::positive());
  profile.targets.cached_fraction = t.number("cached_fraction", {0.0, 1.0, false, "a number in [0, 1)"});
  if (profile.targets.cached_fraction >= 1) t.fail("cached_fraction", "must be below 1");
  profile.targets.output_tokens = t.number("output_tokens", Range::positive());
  profile.targets.kv_len_per_output_token = t.number("kv_len_per_output_token", Range::positive());
  t.finish();

  profile.cache_unit_tokens =
      static_cast<int32_t>(r.integer("cache_unit_tokens", {1, 1 << 20, "an integer in [1, 2^20]"}));
  r.string_or("cache_unit_source", "");

  double share_sum = 0;
  for (JsonReader c : r.objects("classes")) {
    RequestClass rc;
    rc.name = c.string("name");
    rc.model = c.string("model");
    if (!ModelNames::well_formed(rc.model)) {
      c.fail("model", fmt::format("expected a model name (letters, digits, '.', '_', '-'), got '{}'", rc.model));
    }
    ModelNames names;
    rc.model = names.names()[names.index(rc.model).value_or(0)];
    rc.request_share = c.number("request_share", {0.0, 1.0, true, "a number in (0, 1]"});
    c.string_or("why", "");
    rc.input = read_length(c.object("input"), true);
    rc.output = read_length(c.object("output"), false);
    JsonReader n = c.object("new_tokens");
    rc.new_tokens_mean = n.number("mean", Range::positive());
    rc.new_tokens_sigma = n.number("sigma", {0.0, 4.0, true, "a number in (0, 4]"});
    n.string_or("why", "");
    n.finish();
    c.finish();
    share_sum += rc.request_share;
    profile.classes.push_back(rc);
  }
  if (profile.classes.size() != 2) {
    r.fail("classes", fmt::format("expected exactly 2 request classes (two input means are solved from two "
                                  "equations), got {}",
                                  profile.classes.size()));
  }
  if (std::abs(share_sum - 1) > 1e-9)
    r.fail("classes", fmt::format("request_share values sum to {}, not 1", share_sum));
  r.finish();
  return profile;
}

}  // namespace moesim::traces
