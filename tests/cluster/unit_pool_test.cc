#include "sim/cluster/unit_pool.h"

#include <catch2/catch.hpp>

#include "sim/cluster/kv_transfer.h"

using moesim::cluster::KvTransferLinks;
using moesim::cluster::UnitPool;

namespace {

struct FakeUnit {
  int64_t node_count = 4;
  bool is_idle = false;
  int64_t nodes() const { return node_count; }
  bool idle() const { return is_idle; }
};

}  // namespace

TEST_CASE("unit pool: a unit holds nodes from the start and serves only once it is marked serving") {
  UnitPool<FakeUnit> pool;
  size_t a = pool.add(std::make_unique<FakeUnit>());
  CHECK(pool.nodes() == 4);
  CHECK(pool.held() == 1);
  CHECK(pool.serving() == 0);
  CHECK_FALSE(pool.is_serving(a));
  pool.mark_serving(a);
  CHECK(pool.is_serving(a));
  CHECK(pool.serving() == 1);
}

TEST_CASE("unit pool: draining takes the newest serving unit, keeps the last one, and it leaves when idle") {
  UnitPool<FakeUnit> pool;
  for (int i = 0; i < 2; ++i) pool.mark_serving(pool.add(std::make_unique<FakeUnit>()));
  REQUIRE(pool.drain_newest());
  CHECK_FALSE(pool.is_serving(1));
  CHECK(pool.is_serving(0));
  CHECK(pool.held() == 1);
  CHECK(pool.draining() == 1);
  CHECK_FALSE(pool.drain_newest());  // the last serving unit stays
  CHECK_FALSE(pool.retire_idle());   // it still holds work
  CHECK(pool.nodes() == 8);
  pool.unit(1).is_idle = true;
  CHECK(pool.retire_idle());
  CHECK(pool.draining() == 0);
  CHECK(pool.nodes() == 4);
  CHECK(pool.sum_live([](const FakeUnit& u) { return u.nodes(); }) == 4);
  CHECK(pool.sum_serving([](const FakeUnit&) { return int64_t{1}; }) == 1);
}

TEST_CASE("kv transfer: transfers from one prefill rank queue behind each other, other ranks run in parallel") {
  KvTransferLinks links;
  links.add_unit(2);
  CHECK(links.reserve(0, 0, 100, 50) == 150);
  CHECK(links.reserve(0, 0, 120, 50) == 200);  // waits for the first
  CHECK(links.reserve(0, 1, 120, 50) == 170);  // its own NIC
  CHECK(links.reserve(0, 0, 500, 10) == 510);  // the NIC was free again
}
