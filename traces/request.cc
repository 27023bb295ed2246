#include "traces/request.h"

namespace moesim::traces {

std::string_view model_name(Model model) { return model == Model::kR1 ? "R1" : "V3"; }

std::optional<Model> parse_model(std::string_view text) {
  if (text == "V3") return Model::kV3;
  if (text == "R1") return Model::kR1;
  return std::nullopt;
}

std::string_view format_name(TraceFormat format) {
  switch (format) {
    case TraceFormat::kAuto:
      return "auto";
    case TraceFormat::kNative:
      return "native";
    case TraceFormat::kMooncake:
      return "mooncake";
    case TraceFormat::kAzure:
      return "azure";
  }
  return "auto";
}

std::optional<TraceFormat> parse_format(std::string_view text) {
  for (auto f : {TraceFormat::kAuto, TraceFormat::kNative, TraceFormat::kMooncake, TraceFormat::kAzure}) {
    if (text == format_name(f)) return f;
  }
  return std::nullopt;
}

}  // namespace moesim::traces
