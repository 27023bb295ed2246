// Handoff and TimeGate (sim/engine/handoff.h): what one side of a split run passes to the other thread.
#include "sim/engine/handoff.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

using namespace moesim::engine;

TEST_CASE("handoff: items are seen only once published, in the order pushed, across blocks") {
  Handoff<uint64_t> h;
  h.push(1);
  CHECK(h.front() == nullptr);  // not yet published
  h.publish();
  REQUIRE(h.front() != nullptr);
  CHECK(*h.front() == 1);
  h.pop();
  CHECK(h.front() == nullptr);
  // Across several 4,096-item blocks.
  for (uint64_t i = 0; i < 10000; ++i) h.push(i);
  h.publish();
  for (uint64_t i = 0; i < 10000; ++i) {
    REQUIRE(h.front() != nullptr);
    REQUIRE(*h.front() == i);
    h.pop();
  }
  CHECK(h.front() == nullptr);
}

TEST_CASE("handoff: a producer and a consumer on two threads, with the producer's clock through a time gate") {
  // The producer pushes i at time i and publishes its clock every 100 items; the consumer takes items only below the
  // clock it has seen, and must see every one of them then, in order.
  constexpr int64_t kItems = 200000;
  Handoff<int64_t> h;
  TimeGate clock;
  std::thread producer([&] {
    for (int64_t i = 0; i < kItems; ++i) {
      h.push(i);
      if (i % 100 == 99) {
        h.publish();
        clock.advance(i + 1);  // every item before i + 1 is published
      }
    }
    h.publish();
    clock.advance(kItems);
  });
  int64_t expected = 0;
  int64_t seen_clock = clock.value();
  while (expected < kItems) {
    while (expected < seen_clock) {
      const int64_t* item = h.front();
      REQUIRE(item != nullptr);  // published before the clock passed it
      REQUIRE(*item == expected);
      h.pop();
      ++expected;
    }
    if (expected < kItems) seen_clock = clock.wait_beyond(seen_clock);
  }
  producer.join();
  CHECK(h.front() == nullptr);
}

TEST_CASE("time gate: a waiter sleeps until the value passes what it waits beyond") {
  TimeGate gate(0);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gate.advance(5);
  });
  CHECK(gate.wait_beyond(4) == 5);
  later.join();
  CHECK(gate.wait_beyond(1) == 5);  // already past: at once
}
