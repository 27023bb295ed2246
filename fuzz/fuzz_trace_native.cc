// Fuzz target: the native trace reader (plain, .gz and .zst; fuzz/trace_target.h says how the input is read).
#include "fuzz/trace_target.h"

MOESIM_FUZZ_TARGET(trace_native) { return moesim::fuzz::fuzz_trace(data, size, "native", "trace.csv"); }
