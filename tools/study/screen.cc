#include "tools/study/screen.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <tuple>

#include "common/rng.h"
#include "common/round.h"
#include "sim/cluster/arrivals.h"
#include "sim/cluster/decode_steps.h"
#include "sim/cluster/decode_unit.h"
#include "sim/cluster/prefill_unit.h"
#include "sim/cluster/wiring.h"
#include "sim/observe/economics.h"
#include "sim/observe/figures.h"
#include "sim/policy/rank_balancer.h"

namespace moesim::study {

namespace {

constexpr double kHour = 3600.0;
// What a prefill unit stepping in lockstep holds queued at a random instant, in steps' worth of its arrivals: the
// step in progress (what arrived during the one before) and half a step of arrivals since it began.
constexpr double kStandingSteps = 1.5;
constexpr double kWarmupLookS = 60.0;     // the driver's look during the warm-up (sim/cluster/autoscaler_driver.cc)
constexpr double kMostRead = 0.02;        // a generated day is read at no more than this scale
constexpr double kLongContext = 32768.0;  // contexts above this are kept one by one (checked against the KV space)

/// One controller interval as the screen sees it: what it weighs and what its requests meet.
struct Interval {
  double requests = 0;       // arrivals in it
  double ttft_base_s = 0;    // what every request waits: the step that computes it, and a backlog's drain
  double step_s = 0;         // the step in progress when it arrives: the rest of it, uniform on [0, step_s]
  double ttft_wait_s = 0;    // mean wait for extra steps when a rank's share overflows the chunk
  double busy = 0;           // probability of that wait at all (the overflow's)
  double user_speed = 0;     // per-user tokens/s at the interval's decode batch
  double decode_step_s = 0;  // the decode step at that batch
  double span_s = 0;
};

/// P(U + E <= t) for U uniform on [0, step] and E exponential with mean `mean` (E = 0 when mean is 0; U = 0 when step
/// is 0).
double uniform_plus_exponential_cdf(double t, double step, double mean) {
  if (t <= 0) return 0;
  if (mean <= 0) return step > 0 ? std::min(1.0, t / step) : 1.0;
  if (step <= 0) return -std::expm1(-t / mean);
  const double hi = std::min(step, t);  // (1/step) * integral over u in [0, hi] of (1 - exp(-(t - u) / mean)) du
  return (hi - mean * (std::exp(-(t - hi) / mean) - std::exp(-t / mean))) / step;
}

/// P(TTFT <= t) over the intervals' mixture. In each, TTFT is the base, plus the rest of the step in progress
/// (uniform), plus with probability `busy` a wait for extra steps, exponential with mean ttft_wait_s / busy.
double ttft_cdf(const std::vector<Interval>& xs, double total, double t) {
  double p = 0;
  for (const auto& x : xs) {
    if (x.requests <= 0 || t < x.ttft_base_s) continue;
    const double after = t - x.ttft_base_s;
    const double waiting = x.busy > 0 && x.ttft_wait_s > 0 ? x.busy : 0.0;
    const double conditional =
        (1 - waiting) * uniform_plus_exponential_cdf(after, x.step_s, 0.0) +
        (waiting > 0 ? waiting * uniform_plus_exponential_cdf(after, x.step_s, x.ttft_wait_s / waiting) : 0.0);
    p += x.requests * conditional;
  }
  return p / total;
}

double ttft_mean_of(const Interval& x) { return x.ttft_base_s + x.step_s / 2 + x.ttft_wait_s; }

double ttft_quantile(const std::vector<Interval>& xs, double total, double q) {
  double lo = 0, hi = 1;
  while (ttft_cdf(xs, total, hi) < q && hi < 1e9) hi *= 2;
  for (int i = 0; i < 100 && hi - lo > 1e-6 * hi; ++i) {
    double mid = 0.5 * (lo + hi);
    (ttft_cdf(xs, total, mid) < q ? lo : hi) = mid;
  }
  return hi;
}

/// The q-quantile of `value` over intervals weighted by their requests.
template <class Value>
double weighted_quantile(std::vector<Interval> xs, double q, Value value) {
  std::sort(xs.begin(), xs.end(), [&](const Interval& a, const Interval& b) { return value(a) < value(b); });
  double total = 0;
  for (const auto& x : xs) total += x.requests;
  double seen = 0;
  for (const auto& x : xs) {
    seen += x.requests;
    if (seen >= q * total && x.requests > 0) return value(x);
  }
  return xs.empty() ? 0.0 : value(xs.back());
}

/// Units held by one pool: serving, and added but still starting.
struct Pool {
  int64_t held = 0;
  std::deque<double> starting;  // when each starting unit serves, in order

  int64_t serving(double now) {
    while (!starting.empty() && starting.front() <= now) starting.pop_front();
    return held - static_cast<int64_t>(starting.size());
  }
  void set(int64_t target, double ready_s) {
    for (; held < target; ++held) starting.push_back(ready_s);
    for (; held > target; --held) {
      if (!starting.empty()) starting.pop_back();  // a unit still starting is the first to go
    }
  }
};

}  // namespace

WorkloadDemand measure_demand(const cluster::Scenario& scenario) {
  cluster::Scenario s = scenario;
  WorkloadDemand d;
  d.horizon_s = s.horizon_s;
  if (s.workload.kind == "generator" && s.workload.scale > kMostRead) {
    d.weight = s.workload.scale / kMostRead;
    s.workload.scale = kMostRead;
  }
  d.hours.assign(static_cast<size_t>(std::max(1.0, std::ceil(s.horizon_s / kHour))), {});
  d.bins.assign(static_cast<size_t>(std::max(1.0, std::ceil(s.horizon_s / WorkloadDemand::kBinS))), {});
  auto source = cluster::make_arrivals(s);
  const auto horizon_ns = static_cast<int64_t>(s.horizon_s * 1e9);
  uint64_t seen = 0;  // requests read, for the reservoirs
  auto keep = Rng::stream(s.seed, "study.screen.sample");
  auto keep_decode = Rng::stream(s.seed, "study.screen.decode-sample");
  cluster::PrefillRecord r;
  while (source->next(r)) {
    if (r.arrival_ns >= horizon_ns) break;
    // Reservoir sampling: the k-th request read is kept with probability kDecodeSample / k.
    const DecodeSample one{r.input_tokens, r.output_tokens, r.serial};
    if (d.decode_sample.size() < WorkloadDemand::kDecodeSample) {
      d.decode_sample.push_back(one);
    } else if (const uint64_t j = keep_decode.below(seen + 1); j < WorkloadDemand::kDecodeSample) {
      d.decode_sample[j] = one;
    }
    auto hour = std::min(d.hours.size() - 1, static_cast<size_t>(static_cast<double>(r.arrival_ns) * 1e-9 / kHour));
    auto& h = d.hours[hour];
    double in = r.input_tokens, out = r.output_tokens;
    double cached = std::min<double>(r.cached_tokens, std::max(0, r.input_tokens - 1));  // as the fleet takes it
    double n = in - cached;
    h.requests += 1;
    h.new_tokens += n;
    h.new_tokens_sq += n * n;
    h.input_tokens += in;
    h.cached_tokens += cached;
    h.output_tokens += out;
    h.attention_pairs += n * cached + n * (n + 1) / 2;  // policy::PrefillRequestView::attention()
    h.kv_output += out * (in + 1 + out / 2);
    // Reservoir sampling: each request read is kept with probability kSample / (requests read so far).
    const uint64_t k = seen++;
    if (d.sample.size() < WorkloadDemand::kSample) {
      d.sample.push_back({n, cached});
    } else if (const uint64_t j = keep.below(k + 1); j < WorkloadDemand::kSample) {
      d.sample[j] = {n, cached};
    }
    auto& b = d.bins[std::min(d.bins.size() - 1,
                              static_cast<size_t>(static_cast<double>(r.arrival_ns) * 1e-9 / WorkloadDemand::kBinS))];
    b.requests += 1;
    b.new_tokens += n;
    b.output_tokens += out;
    h.max_output_tokens = std::max(h.max_output_tokens, out);
    if (in + out > kLongContext) d.long_contexts.push_back(in + out);
  }
  for (auto& h : d.hours) {
    for (double* v : {&h.requests, &h.new_tokens, &h.new_tokens_sq, &h.input_tokens, &h.cached_tokens, &h.output_tokens,
                      &h.attention_pairs, &h.kv_output}) {
      *v *= d.weight;
    }
  }
  for (auto& b : d.bins) {
    for (double* v : {&b.requests, &b.new_tokens, &b.output_tokens}) *v *= d.weight;
  }
  return d;
}

double ScreenResult::figure(const std::string& name) const {
  for (const auto& [k, v] : figures) {
    if (k == name) return v;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

namespace {

/// What every step of the screen asks of the candidate: its scenario, its demand, its step model and expert balance.
struct Candidate {
  const cluster::Scenario& s;
  const WorkloadDemand& d;
  const cluster::RunParts& parts;
  const cluster::StepModel& model;
  int64_t prefill_ranks;
  int64_t decode_ranks;
  double chunk;
  bool mtp;
  double tokens_per_step;
  double slo;
};

Candidate candidate_of(const cluster::Scenario& s, const WorkloadDemand& d, const cluster::RunParts& parts) {
  const cluster::StepModel& model = *parts.step_model;
  const bool mtp = s.fleet.decode.mtp;
  return {.s = s,
          .d = d,
          .parts = parts,
          .model = model,
          .prefill_ranks = s.geometry.prefill.gpus,
          .decode_ranks = s.geometry.decode.gpus,
          .chunk = static_cast<double>(s.fleet.prefill.chunk_tokens),
          .mtp = mtp,
          .tokens_per_step = mtp ? 1.0 + model.mtp_acceptance() : 1.0,
          .slo = s.slo.user_tokens_per_s};
}

/// Per hour, what the units and the controller would find: the decode batch cap at the SLO (at the hour's mean KV
/// of a decoding sequence) and a prefill unit's full-step capacity (at the hour's attention per token).
struct HourModel {
  int64_t cap = 1;
  double kv_mean = 4096;
  double prefill_capacity_per_unit = 0;  // the controller's figure: expert factor 1, as the driver computes it
  double prefill_step_s = 0;             // a saturated step (every rank's queue long) with the expert factor
  double fill = 1;                       // a saturated rank's new tokens a step over the chunk
  double pairs_per_token = 0;            // core-attention pairs per new token (the hour's, at most a fresh chunk's)
  double n2_over_n = 0;  // E[n^2] / E[n] of a request's new tokens: how lumpy a rank's share of a step is
};

/// A saturated step (every rank's queue long): each rank computes its fill of a chunk (`fill_chunks`:
/// saturated_unit_fill on the run's sample), so the unit's tokens are fill x ranks x chunk; the step waits for its
/// longest rank, one whose chunk reaches the step's attention budget (a fresh chunk's pairs) while another computes a
/// whole chunk. Sets `step_s` and returns the fill. `loads` is scratch.
double saturated_step(const Candidate& c, const SaturatedFill& fill_chunks, double ppt,
                      std::vector<cluster::PrefillRankLoad>& loads, double& step_s) {
  const auto [fill, chunks] = fill_chunks;
  const double ranks = static_cast<double>(c.prefill_ranks);
  const auto sequences = std::max<int64_t>(1, round_nearest(chunks));
  // The rest of the unit's tokens spread over the other ranks (each at most a chunk).
  const double others = ranks > 1 ? std::clamp((fill * ranks - 1) * c.chunk / (ranks - 1), 0.0, c.chunk) : 0.0;
  loads.assign(static_cast<size_t>(c.prefill_ranks), {round_nearest(others), others * ppt, sequences});
  loads.front() = {static_cast<int64_t>(c.chunk), c.chunk * ppt, sequences};
  loads.back().attention = std::max(loads.back().attention, c.chunk * (c.chunk + 1) / 2);
  if (c.prefill_ranks == 1) loads.back().new_tokens = round_nearest(fill * c.chunk);
  step_s = c.model.prefill_step_s(loads, c.parts.prefill_experts->max_factor(fill * c.chunk, engine::Time{}));
  return fill;
}

std::vector<HourModel> model_hours(const Candidate& c) {
  std::vector<HourModel> hm(c.d.hours.size());
  std::vector<cluster::PrefillRankLoad> full;
  int64_t start = 64;
  const SaturatedFill fill_chunks = saturated_unit_fill(c.d.sample, c.s, c.model);
  for (size_t h = 0; h < c.d.hours.size(); ++h) {
    const auto& H = c.d.hours[h];
    auto& m = hm[h];
    // The expert balance at the run's start for every hour: asking it later would advance its popularity's drift
    // and re-plan the EPLB every 10 simulated minutes (seconds a candidate), for a factor that moves by a percent.
    const engine::Time now{};
    if (H.output_tokens > 0) m.kv_mean = H.kv_output / H.output_tokens;
    auto ok = [&](int64_t b) {
      double f = c.parts.decode_experts->max_factor(static_cast<double>(b) * (c.mtp ? 2.0 : 1.0), now);
      return c.model.decode_uniform_step_s(b, m.kv_mean, f) <= c.tokens_per_step / c.slo;
    };
    m.cap = std::max<int64_t>(1, cluster::largest_passing_batch(ok, start, cluster::kMaxDecodeBatch));
    start = m.cap;
    const double chunk = c.chunk;
    double ppt = H.new_tokens > 0 ? std::min(H.attention_pairs / H.new_tokens, (chunk + 1) / 2) : (chunk + 1) / 2;
    full.assign(static_cast<size_t>(c.prefill_ranks), {static_cast<int64_t>(chunk), chunk * ppt, 1});
    m.prefill_capacity_per_unit = chunk * static_cast<double>(c.prefill_ranks) / c.model.prefill_step_s(full, 1.0);
    m.fill = saturated_step(c, fill_chunks, ppt, full, m.prefill_step_s);
    m.pairs_per_token = ppt;
    m.n2_over_n = H.new_tokens > 0 ? H.new_tokens_sq / H.new_tokens : 0;
  }
  return hm;
}

/// An hour's steady load, per second.
struct Load {
  double rate = 0;         // requests/s
  double new_per_s = 0;    // new prefill tokens/s
  double output_mean = 0;  // output tokens of a request
};

/// The load of [t, t + dt), from the demand's short bins (each overlapping bin by its share), so the controller's
/// intervals see a ramp inside an hour as the run's do.
Load load_over(const WorkloadDemand& d, double t, double dt) {
  BinDemand sum;
  const double bin = WorkloadDemand::kBinS;
  for (auto k = static_cast<size_t>(t / bin); k < d.bins.size() && static_cast<double>(k) * bin < t + dt; ++k) {
    const double begin = static_cast<double>(k) * bin;
    const double end = std::min(begin + bin, d.horizon_s);
    const double overlap = std::min(end, t + dt) - std::max(begin, t);
    if (overlap <= 0 || end <= begin) continue;
    const double share = overlap / (end - begin);
    sum.requests += d.bins[k].requests * share;
    sum.new_tokens += d.bins[k].new_tokens * share;
    sum.output_tokens += d.bins[k].output_tokens * share;
  }
  return {.rate = sum.requests / dt,
          .new_per_s = sum.new_tokens / dt,
          .output_mean = sum.requests > 0 ? sum.output_tokens / sum.requests : 0};
}

/// A decode rank stepped by busy_step_ratio: its sequences and their KV, which grows linearly with the step (as a
/// DecodeUnit's rank).
struct SampleRank {
  int64_t sequences = 0;
  double kv_base = 0;
  double kv_rate = 0;
  double kv_at(int64_t step) const { return kv_base + kv_rate * static_cast<double>(step); }
};

/// A sequence's last step; ties leave in the order they came.
struct SampleEnding {
  int64_t step = 0;
  int64_t order = 0;
  uint32_t rank = 0;
  policy::DecodeRequestView view;
  double kv_base = 0;
  double kv_rate = 0;
  bool operator>(const SampleEnding& o) const { return std::tie(step, order) > std::tie(o.step, o.order); }
};

constexpr int64_t kMaxSampleSteps = 200000;  // a bound on busy_step_ratio's loop whatever the sample holds

/// busy_decode_step_ratio for a candidate: its unit's ranks filled to `batch` sequences each from the sample (the
/// first warm-up admissions turn the unit over twice, the next two turns are measured), the scenario's balancer
/// placing every sequence as the unit's admissions do (sim/cluster/decode_unit.cc), each decoding for its own MTP
/// draws' steps, a leaver replaced at the next step.
double busy_step_ratio(const Candidate& c, int64_t batch, int64_t cap) {
  const auto& sample = c.d.decode_sample;
  if (sample.empty() || batch < 1 || c.decode_ranks < 1) return 1.0;
  const auto ranks = static_cast<size_t>(c.decode_ranks);
  auto balancer = policy::builtin_decode_balancers().make(c.s.fleet.decode.balancer,
                                                          {.seed = c.s.seed, .unit = 0, .ranks = c.decode_ranks});
  const double kv_capacity = c.model.decode_kv_capacity_tokens();
  const double acceptance = c.model.mtp_acceptance();
  const double f = c.parts.decode_experts->max_factor(static_cast<double>(batch) * (c.mtp ? 2.0 : 1.0), engine::Time{});
  std::vector<SampleRank> rank(ranks);
  std::vector<policy::DecodeRankView> views(ranks);
  std::vector<cluster::DecodeRankLoad> loads(ranks);
  std::priority_queue<SampleEnding, std::vector<SampleEnding>, std::greater<>> endings;
  const int64_t target = batch * c.decode_ranks;
  const int64_t warm = 2 * target, stop = 4 * target;
  int64_t active = 0, admitted = 0, measured = 0;
  size_t next = 0;
  double ratio = 0;
  for (int64_t step = 0; admitted < stop && step < kMaxSampleSteps; ++step) {
    for (; !endings.empty() && endings.top().step <= step; endings.pop()) {
      const SampleEnding& e = endings.top();
      auto& rk = rank[e.rank];
      rk.sequences -= 1;
      rk.kv_base -= e.kv_base;
      rk.kv_rate -= e.kv_rate;
      if (rk.sequences == 0) rk = SampleRank{};  // clear rounding residue
      balancer->finish(e.rank, e.view);
      --active;
    }
    for (size_t i = 0; i < ranks; ++i) views[i] = {rank[i].sequences, rank[i].kv_at(step), cap, kv_capacity};
    balancer->begin_admissions(views);
    while (active < target) {
      const DecodeSample& q = sample[next];
      next = (next + 1) % sample.size();
      const policy::DecodeRequestView view{int64_t{q.input_tokens} + 1, q.output_tokens};
      const int64_t pick = balancer->pick(views, view);
      if (pick < 0) break;
      const auto i = static_cast<size_t>(pick);
      balancer->admit(i, view);
      ++admitted;
      const int64_t steps = cluster::draw_decode_steps(c.s.seed, q.serial, q.output_tokens - 1, c.mtp, acceptance);
      if (steps == 0) {
        balancer->finish(i, view);
        continue;
      }
      const double kv_rate = static_cast<double>(q.output_tokens - 1) / static_cast<double>(steps);
      const double kv_base = static_cast<double>(view.kv_tokens) - kv_rate * static_cast<double>(step);
      rank[i].sequences += 1;
      rank[i].kv_base += kv_base;
      rank[i].kv_rate += kv_rate;
      views[i].sequences += 1;
      views[i].kv_tokens += static_cast<double>(view.kv_tokens);
      ++active;
      endings.push({step + steps, admitted, static_cast<uint32_t>(i), view, kv_base, kv_rate});
    }
    if (active == 0) return 1.0;  // nothing fits a rank
    if (admitted < warm) continue;
    double kv = 0;
    for (size_t i = 0; i < ranks; ++i) {
      loads[i] = {rank[i].sequences, rank[i].kv_at(step)};
      kv += loads[i].kv_tokens;
    }
    const int64_t per_rank =
        std::max<int64_t>(1, round_nearest(static_cast<double>(active) / static_cast<double>(ranks)));
    ratio +=
        c.model.decode_step_s(loads, f) / c.model.decode_uniform_step_s(per_rank, kv / static_cast<double>(active), f);
    ++measured;
  }
  return measured > 0 ? std::max(1.0, ratio / static_cast<double>(measured)) : 1.0;
}

/// busy_step_ratio at a few batches, shares of the largest hourly cap, read by linear interpolation between them
/// (the end values outside). Dense near the cap: with every rank full the balancer has no choice but the rank a
/// sequence just left, so the ratio jumps there (on the reference day's units from about 1.02 at 95 % of the cap to
/// 1.10 at it).
class StepRatios {
 public:
  StepRatios(const Candidate& c, int64_t cap) {
    for (double share : kShares) {
      const int64_t b = std::max<int64_t>(1, round_nearest(share * static_cast<double>(cap)));
      if (at_.empty() || b < at_.back().first) at_.emplace_back(static_cast<double>(b), busy_step_ratio(c, b, cap));
    }
    std::reverse(at_.begin(), at_.end());
  }
  double operator()(double batch) const {
    if (batch <= at_.front().first) return at_.front().second;
    for (size_t k = 1; k < at_.size(); ++k) {
      const auto [b1, r1] = at_[k];
      if (batch <= b1) {
        const auto [b0, r0] = at_[k - 1];
        return r0 + (r1 - r0) * (batch - b0) / (b1 - b0);
      }
    }
    return at_.back().second;
  }

 private:
  static constexpr double kShares[] = {1.0, 0.95, 0.9, 0.8, 0.6, 0.35, 0.125};
  std::vector<std::pair<double, double>> at_;  // (batch, ratio), ascending
};

/// The decode side in one interval: the batch per rank where the per-user speed and the sequences held agree
/// (Little's law), at most the cap. The step is the uniform one times what a busy unit's uneven ranks add
/// (StepRatios). Sets the interval's speed and step; returns the sequences active and wanted.
std::pair<double, double> decode_interval(const Candidate& c, const HourModel& m, const StepRatios& ratios,
                                          const Load& l, int64_t serving, Interval& x) {
  double speed = c.slo, b = 0;
  double slots = static_cast<double>(serving * c.decode_ranks);
  for (int i = 0; i < 30 && slots > 0; ++i) {
    b = std::min(l.rate * l.output_mean / speed / slots, static_cast<double>(m.cap));
    auto batch = std::max<int64_t>(1, std::llround(b));
    double f = c.parts.decode_experts->max_factor(static_cast<double>(batch) * (c.mtp ? 2.0 : 1.0), engine::Time{});
    x.decode_step_s = c.model.decode_uniform_step_s(batch, m.kv_mean, f) * ratios(b);
    speed = c.tokens_per_step / x.decode_step_s;
  }
  x.user_speed = speed;
  double active = slots > 0 ? b * slots : 0;
  double wanted = l.rate * l.output_mean / speed;
  return {active, wanted};
}

/// A prefill step that computes `x` new tokens a rank on average. The ranks' shares are lumpy (whole requests of
/// n tokens, E[n^2] / E[n] = n2_over_n): a share is a compound Poisson sum with variance x n2_over_n, and the step
/// waits for the largest of R, about the mean plus sqrt(2 ln R) standard deviations (at most a chunk).
double lockstep_s(const Candidate& c, const HourModel& m, double x) {
  const auto ranks = static_cast<size_t>(c.prefill_ranks);
  const double z = std::sqrt(2.0 * std::log(std::max<double>(2.0, static_cast<double>(ranks))));
  const double mean = std::clamp(x, 1.0, c.chunk);
  const double largest = std::min(c.chunk, mean + z * std::sqrt(mean * m.n2_over_n));
  std::vector<cluster::PrefillRankLoad> loads(ranks, {std::llround(mean), mean * m.pairs_per_token, 1});
  loads.back() = {std::llround(largest), largest * m.pairs_per_token, 1};
  return c.model.prefill_step_s(loads, c.parts.prefill_experts->max_factor(mean, engine::Time{}));
}

/// The prefill side in one interval. A unit steps in lockstep (sim/cluster/prefill_unit.cc): each step computes what
/// reached its ranks during the one before, up to a chunk a rank, and a request's first token comes at the end of the
/// step that computes its last chunk. So a request waits out the step in progress (uniform), then one whole step;
/// at a steady load of r new tokens a rank per second the step's length S solves S = lockstep_s(r S), at most a
/// full step. A rank's share of a step is lumpy (a compound Poisson sum of whole requests, mean r S, variance
/// r S E[n^2] / E[n]); when it passes the chunk the rest waits for the next step, so a request waits extra steps with
/// the probability p of an overflow: geometric, mean S p / (1 - p), taken as exponential. (The overflow is against
/// the whole chunk, not the saturated fill: a share is what arrived during one step, and the balancer steers it
/// away from a rank that holds a long context; on fixed-fleet steady runs of the day's mix at 50-75 % of the
/// controller's capacity the chunk gave TTFT p90 nearer the simulation's.) A backlog (prefill tokens queued beyond
/// what the serving units compute when saturated: `fill` of a chunk a rank a saturated step) drains at the spare
/// pace, and every request waits for the part of it it finds.
void prefill_interval(const Candidate& c, const HourModel& m, const HourDemand& H, const Load& l, int64_t serving,
                      double dt, double& backlog, Interval& x) {
  double pace = m.fill * c.chunk / m.prefill_step_s;  // tokens/s of one rank with a long queue
  double ranks = static_cast<double>(serving * c.prefill_ranks);
  double served = ranks * pace;
  const double backlog_before = backlog;
  backlog = std::max(0.0, backlog + (l.new_per_s - served) * dt);
  const double backlog_met = (backlog_before + backlog) / 2;  // what a request arriving in the interval finds
  if (ranks > 0 && H.requests > 0) {
    const double r = l.new_per_s / ranks;
    double step = m.prefill_step_s;
    if (backlog_met <= 0) {
      for (int i = 0; i < 8; ++i) step = lockstep_s(c, m, std::min(c.chunk, r * step));
    }
    const double share = r * step;
    const double sd = std::sqrt(share * m.n2_over_n);
    const double overflow =
        sd > 0 ? std::min(0.99, 0.5 * std::erfc((c.chunk - share) / (sd * std::sqrt(2.0)))) : (share > c.chunk);
    x.busy = overflow;
    x.ttft_wait_s = step * overflow / (1 - overflow);
    x.step_s = step;
    x.ttft_base_s = step + backlog_met / served;
  } else {
    x.busy = 1;
    x.ttft_wait_s = std::numeric_limits<double>::infinity();
  }
}

/// The intervals walked, and the node-time the fleet held over them.
struct Walk {
  std::vector<Interval> xs;
  Pool prefill, decode;
  double node_s = 0, prefill_node_s = 0, decode_node_s = 0;
  int64_t peak = 0;
};

/// Books the nodes held for `dt` seconds.
void hold_nodes(const cluster::Scenario& s, double dt, Walk& w) {
  int64_t nodes = w.prefill.held * s.fleet.prefill.nodes_per_unit + w.decode.held * s.fleet.decode.nodes_per_unit;
  w.peak = std::max(w.peak, nodes);
  w.node_s += static_cast<double>(nodes) * dt;
  w.prefill_node_s += static_cast<double>(w.prefill.held * s.fleet.prefill.nodes_per_unit) * dt;
  w.decode_node_s += static_cast<double>(w.decode.held * s.fleet.decode.nodes_per_unit) * dt;
}

/// What the controller would observe at the end of an interval at the hour's steady load.
policy::FleetObservation observation(const Candidate& c, const HourModel& m, const Load& l, const Walk& w,
                                     double backlog, double standing, std::pair<double, double> active_wanted,
                                     double now_s) {
  const cluster::Scenario& s = c.s;
  const auto [active, wanted] = active_wanted;
  policy::FleetObservation o;
  o.now_s = now_s;
  o.prefill_units = w.prefill.held;
  o.decode_units = w.decode.held;
  o.prefill_nodes_per_unit = s.fleet.prefill.nodes_per_unit;
  o.decode_nodes_per_unit = s.fleet.decode.nodes_per_unit;
  o.prefill_offered_tokens_per_s = l.new_per_s;
  o.prefill_queued_tokens = static_cast<int64_t>(backlog + standing);
  o.prefill_capacity_per_unit = m.prefill_capacity_per_unit;
  o.decode_offered_per_s = l.rate;
  o.arrivals_per_s = l.rate;  // at a steady load what arrives is what reaches decode
  o.decode_hold_s = l.output_mean / c.slo;
  o.decode_active = std::llround(active);
  o.decode_waiting = std::llround(std::max(0.0, wanted - active));
  o.decode_capacity_per_unit = m.cap * c.decode_ranks;
  return o;
}

/// The controller, every interval, at the interval's hour's steady load; the units it adds serve after start-up
/// (at once within the warm-up, as in the run).
Walk walk_intervals(const Candidate& c, const std::vector<HourModel>& hm, const StepRatios& ratios) {
  const cluster::Scenario& s = c.s;
  auto policy = policy::make_autoscaler(cluster::autoscaler_params(s));
  const bool fixed = policy->static_fleet();
  const double interval = fixed ? std::min(kHour, s.horizon_s) : s.autoscaler.interval_s;
  Walk w;
  w.prefill.set(s.fleet.prefill.units, 0);
  w.decode.set(s.fleet.decode.units, 0);
  double backlog = 0;
  for (double t = 0, dt = 0; t < s.horizon_s; t += dt) {
    auto h = std::min(c.d.hours.size() - 1, static_cast<size_t>(t / kHour));
    const auto& H = c.d.hours[h];
    const auto& m = hm[h];
    // As the run's driver: every minute during the warm-up (so it finds the fleet the running system had), then
    // every interval.
    const double every = !fixed && t < s.autoscaler.warmup_s ? std::min(interval, kWarmupLookS) : interval;
    dt = std::min(every, s.horizon_s - t);
    const Load l = load_over(c.d, t, dt);
    int64_t serving_p = std::max<int64_t>(w.prefill.serving(t), 0);
    int64_t serving_d = std::max<int64_t>(w.decode.serving(t), 0);
    Interval x;
    x.requests = l.rate * dt;
    x.span_s = dt;
    auto active_wanted = decode_interval(c, m, ratios, l, serving_d, x);
    prefill_interval(c, m, H, l, serving_p, dt, backlog, x);
    w.xs.push_back(x);
    hold_nodes(s, dt, w);
    if (!fixed) {
      policy::FleetTarget target = policy->decide(
          observation(c, m, l, w, backlog, kStandingSteps * l.new_per_s * x.step_s, active_wanted, t + dt));
      double ready = t + dt < s.autoscaler.warmup_s ? t + dt : t + dt + s.autoscaler.startup_s;
      w.prefill.set(target.prefill_units, ready);
      w.decode.set(target.decode_units, ready);
    }
  }
  return w;
}

/// The drain: the run goes on after the horizon until the last request in flight has finished, holding its fleet
/// (the controller's shrinking in those minutes is left out), and its node-time and cost count that time. Returns
/// the drain's length.
double hold_through_drain(const cluster::Scenario& s, const WorkloadDemand& d, double drain_limit_s, Walk& w) {
  double drain = 0;
  if (!w.xs.empty() && d.hours.back().requests > 0) {
    const Interval& last = w.xs.back();
    drain = ttft_mean_of(last) + d.hours.back().max_output_tokens / last.user_speed;
    drain = std::isfinite(drain) ? std::clamp(drain, 0.0, drain_limit_s) : drain_limit_s;
  }
  const double prefill_end = static_cast<double>(w.prefill.held * s.fleet.prefill.nodes_per_unit);
  const double decode_end = static_cast<double>(w.decode.held * s.fleet.decode.nodes_per_unit);
  w.node_s += (prefill_end + decode_end) * drain;
  w.prefill_node_s += prefill_end * drain;
  w.decode_node_s += decode_end * drain;
  return drain;
}

/// The screened figures (summary.json's names, from the figure catalogue) of the walk over `simulated_s`.
std::vector<std::pair<std::string, double>> figures_of(const Candidate& c, const Walk& w, double simulated_s) {
  double requests = 0, input = 0, cached = 0, output = 0;
  for (const auto& H : c.d.hours) {
    requests += H.requests;
    input += H.input_tokens;
    cached += H.cached_tokens;
    output += H.output_tokens;
  }
  double kv_capacity = c.model.decode_kv_capacity_tokens();
  double rejected = c.d.weight * static_cast<double>(std::count_if(c.d.long_contexts.begin(), c.d.long_contexts.end(),
                                                                   [&](double x) { return x > kv_capacity; }));
  observe::Money money = observe::money(c.s.economics, {w.prefill_node_s, w.decode_node_s},
                                        {.input_cached = std::llround(cached),
                                         .input_uncached = std::llround(input - cached),
                                         .output = std::llround(output)});
  double weighted_speed = 0, steps = 0, step_time = 0;
  for (const auto& x : w.xs) {
    weighted_speed += x.requests * x.user_speed;
    steps += x.span_s / x.decode_step_s;
    step_time += x.span_s;
  }
  std::vector<std::pair<std::string, double>> figures;
  auto add = [&](const observe::Figure& f, double value) { figures.emplace_back(f.name, value); };
  using observe::figure;
  add(figure("requests_in"), requests);
  add(figure("requests_rejected"), rejected);
  add(figure("simulated_s"), simulated_s);
  add(figure("nodes_avg"), w.node_s / simulated_s);
  add(figure("nodes_peak"), static_cast<double>(w.peak));
  add(figure("prefill_nodes_avg"), w.prefill_node_s / simulated_s);
  add(figure("decode_nodes_avg"), w.decode_node_s / simulated_s);
  add(figure("cost_usd"), money.cost_usd);
  add(figure("revenue_usd"), money.revenue_usd);
  add(figure("margin"), money.margin);
  add(figure("prefill_tokens_per_s_per_node"), observe::ratio_or_zero(input, w.prefill_node_s));
  add(figure("decode_tokens_per_s_per_node"), observe::ratio_or_zero(output, w.decode_node_s));
  add(figure("user_tokens_per_s_mean"), observe::ratio_or_zero(weighted_speed, requests));
  add(figure("user_tokens_per_s_p10"), weighted_quantile(w.xs, 0.1, [](const Interval& x) { return x.user_speed; }));
  add(figure("decode_step_mean_s"), observe::ratio_or_zero(step_time, steps));
  double ttft_mean = 0;
  for (const auto& x : w.xs) ttft_mean += x.requests * ttft_mean_of(x);
  add(figure("ttft_mean_s"), observe::ratio_or_zero(ttft_mean, requests));
  add(figure("ttft_p50_s"), ttft_quantile(w.xs, requests, 0.5));
  add(figure("ttft_p90_s"), ttft_quantile(w.xs, requests, 0.9));
  return figures;
}

}  // namespace

double busy_decode_step_ratio(const cluster::Scenario& s, const WorkloadDemand& d, int64_t batch, int64_t cap) {
  const cluster::RunParts parts = cluster::build_run_parts(s);
  return busy_step_ratio(candidate_of(s, d, parts), batch, cap);
}

namespace {

/// A request on a rank's queue in saturated_unit_fill.
struct Queued {
  double left = 0;    // new tokens not yet computed
  double before = 0;  // tokens it attends to before them: its cached prefix and what is computed
  policy::PrefillRequestView view;
};

/// One rank's part of a step, as sim/cluster/prefill_unit.cc's try_start_step takes it; pops what it finishes and
/// tells the balancer. Returns the new tokens and the chunks.
std::pair<double, double> step_rank(std::deque<Queued>& queue, double chunk, size_t rank, policy::PrefillRankView& view,
                                    policy::PrefillBalancer& balancer) {
  double budget = chunk, pair_budget = chunk * (chunk + 1) / 2, tokens = 0, chunks = 0;
  for (size_t q = 0; q < queue.size() && budget > 0 && pair_budget > 0; ++q) {
    // At least one token for the rank's first chunk.
    const double fit = cluster::chunk_within_pairs(queue[q].before, pair_budget);
    if (fit < 1 && tokens > 0) break;
    const double take = std::min({queue[q].left, budget, std::max(fit, 1.0)});
    const double pairs = take * queue[q].before + take * (take + 1) / 2;
    tokens += take;
    chunks += 1;
    budget -= take;
    pair_budget -= pairs;
    queue[q].left -= take;
    queue[q].before += take;
    view.queued_tokens -= static_cast<int64_t>(take);
    view.queued_attention -= pairs;
    balancer.progress(rank, static_cast<int64_t>(take), pairs);
  }
  while (!queue.empty() && queue.front().left <= 0) {
    view.queued_requests -= 1;
    balancer.finish(rank, queue.front().view);
    queue.pop_front();
  }
  return {tokens, chunks};
}

}  // namespace

SaturatedFill saturated_unit_fill(const std::vector<PrefillSample>& sample, const cluster::Scenario& s,
                                  const cluster::StepModel& model) {
  const int64_t ranks = s.geometry.prefill.gpus;
  const auto chunk = static_cast<double>(s.fleet.prefill.chunk_tokens);
  const auto [per_token, per_pair] = cluster::prefill_marginal_costs(model, ranks, s.fleet.prefill.chunk_tokens);
  auto balancer = policy::builtin_prefill_balancers().make(
      s.fleet.prefill.balancer,
      {.seed = s.seed, .unit = 0, .ranks = ranks, .prefill_s_per_token = per_token, .prefill_s_per_pair = per_pair});
  std::vector<std::deque<Queued>> queues(static_cast<size_t>(ranks));
  std::vector<policy::PrefillRankView> views(static_cast<size_t>(ranks));
  const double depth = kSaturatedDepth * chunk * static_cast<double>(ranks);
  double queued = 0, tokens = 0, chunks = 0, steps = 0;
  for (size_t next = 0;;) {
    for (; queued < depth && next < sample.size(); ++next) {
      const double n = std::max(1.0, std::round(sample[next].new_tokens));
      const double cached = std::round(sample[next].cached_tokens);
      Queued q{n, cached, {static_cast<int64_t>(n), static_cast<int64_t>(n + cached)}};
      const size_t rank = balancer->pick(views, q.view);
      balancer->admit(rank, q.view);
      views[rank].queued_tokens += q.view.new_tokens;
      views[rank].queued_attention += q.view.attention();
      views[rank].queued_requests += 1;
      queues[rank].push_back(q);
      queued += n;
    }
    if (queued < depth) break;  // the sample ran out: the queues are no longer long
    for (size_t r = 0; r < queues.size(); ++r) {
      const auto [t, k] = step_rank(queues[r], chunk, r, views[r], *balancer);
      tokens += t;
      chunks += k;
      queued -= t;
    }
    steps += 1;
  }
  if (steps == 0) return {};
  const double rank_steps = steps * static_cast<double>(ranks);
  return {.fill = std::min(1.0, tokens / (rank_steps * chunk)), .chunks = chunks / rank_steps};
}

double saturated_prefill_tokens_per_s(const cluster::Scenario& s, const WorkloadDemand& d, size_t hour) {
  const cluster::RunParts parts = cluster::build_run_parts(s);
  const Candidate c = candidate_of(s, d, parts);
  const HourModel m = model_hours(c).at(hour);
  return m.fill * c.chunk * static_cast<double>(c.prefill_ranks) / m.prefill_step_s;
}

ScreenResult screen(const cluster::Scenario& s, const WorkloadDemand& d, double drain_limit_s) {
  auto wall_start = std::chrono::steady_clock::now();
  const cluster::RunParts parts = cluster::build_run_parts(s);
  const Candidate c = candidate_of(s, d, parts);
  const std::vector<HourModel> hm = model_hours(c);
  int64_t cap = 1;
  for (const auto& m : hm) cap = std::max(cap, m.cap);
  Walk w = walk_intervals(c, hm, StepRatios(c, cap));
  const double drain = hold_through_drain(s, d, drain_limit_s, w);
  ScreenResult r;
  r.figures = figures_of(c, w, s.horizon_s + drain);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return r;
}

}  // namespace moesim::study
