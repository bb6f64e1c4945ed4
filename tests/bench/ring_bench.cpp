// SPDX-License-Identifier: GPL-2.0
// Ring buffer throughput: one producer thread, one consumer thread, the
// real signalling rules (a signal is an atomic flag the other side polls),
// against memcpy of the same sizes in the same run as the ceiling. Prints
// the ratio ring/memcpy for every size; never asserts a time.
extern "C" {
#include <hvkit/ring.h>
}
#include <benchmark/benchmark.h>

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

// Wait for the other side's signal: spin on a load (not on an atomic
// exchange, which would bounce the line between the two cores), with the
// CPU's pause hint, then take it.
inline bool take_kick(std::atomic<int> &k, const std::atomic<bool> *stop = nullptr)
{
	while (!k.load(std::memory_order_acquire)) {
		if (stop && stop->load(std::memory_order_relaxed))
			return false;
		__builtin_ia32_pause();
	}
	k.store(0, std::memory_order_relaxed);
	return true;
}

constexpr u32 kRingSize = 512u << 10;	/* a large VMBus ring */

// Producer and consumer on two different CPUs, for the whole run: left
// to the scheduler, both spinning threads sometimes share one CPU and the
// result says nothing about the ring. No-op with fewer than two CPUs.
class Pinned {
public:
	explicit Pinned(int cpu)
	{
		pthread_getaffinity_np(pthread_self(), sizeof(old_), &old_);
		if (CPU_COUNT(&old_) < 2)
			return;
		cpu_set_t one;
		CPU_ZERO(&one);
		int seen = 0;
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &old_) && seen++ == cpu) {
				CPU_SET(c, &one);
				break;
			}
		pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
	}
	~Pinned()
	{
		if (pinned_)
			pthread_setaffinity_np(pthread_self(), sizeof(old_), &old_);
	}
	Pinned(const Pinned &) = delete;
	Pinned &operator=(const Pinned &) = delete;

private:
	cpu_set_t old_{};
	bool pinned_ = false;
};

void BM_Memcpy(benchmark::State &state)
{
	const size_t n = state.range(0);
	std::vector<u8> src(n, 0x5a), dst(n);
	for (auto _ : state) {
		std::memcpy(dst.data(), src.data(), n);
		benchmark::DoNotOptimize(dst.data());
		benchmark::ClobberMemory();
	}
	state.SetBytesProcessed(int64_t(state.iterations()) * n);
	state.SetItemsProcessed(state.iterations());
}

// @batch packets per publish: 1 is hvk_ring_write() per packet; more is a
// NIC's xmit_more batch (hvk_ring_write_more() each, hvk_ring_publish()
// once: one barrier and one signal decision per batch).
void ring_run(benchmark::State &state, u32 batch)
{
	const u32 n = state.range(0);	// payload bytes; descriptor included
	auto ctl = std::make_unique<hvk_ring_ctl>();
	std::memset(ctl.get(), 0, sizeof(*ctl));
	std::vector<u8> data(kRingSize);
	hvk_ring prod, cons;
	hvk_ring_init(&prod, ctl.get(), data.data(), kRingSize, true);
	hvk_ring_init(&cons, ctl.get(), data.data(), kRingSize, false);

	std::vector<u8> pkt(n, 0xa5);
	hvk_pkt_desc d{};
	d.type = HVK_PKT_DATA_INBAND;
	d.offset8 = 2;
	d.len8 = n / 8;
	std::memcpy(pkt.data(), &d, sizeof(d));

	std::atomic<bool> stop{false};
	std::atomic<int> cons_kick{0}, prod_kick{0};
	std::thread producer([&] {
		Pinned producer_cpu(1);
		hvk_kvec v{pkt.data(), n};
		while (!stop.load(std::memory_order_relaxed)) {
			bool sig;
			int ret;
			if (batch == 1) {
				ret = hvk_ring_write(&prod, &v, 1, &sig);
			} else {
				ret = 0;
				for (u32 k = 0; k < batch && !ret; k++)
					ret = hvk_ring_write_more(&prod, &v, 1);
				sig = hvk_ring_publish(&prod);
			}
			if (sig)
				cons_kick.store(1, std::memory_order_release);
			if (ret == 0)
				continue;
			if (hvk_ring_set_pending(&prod, hvk_ring_pkt_space(n)))
				continue;
			take_kick(prod_kick, &stop);
			hvk_ring_set_pending(&prod, 0);
		}
	});
	// After the producer started: it must not inherit this CPU alone.
	Pinned consumer_cpu(0);

	std::vector<u8> buf(n);
	u64 signals = 0;
	for (auto _ : state) {
		u32 len;
		for (;;) {
			if (hvk_ring_read(&cons, buf.data(), n, &len) == 0)
				break;
			if (hvk_ring_commit(&cons)) {
				prod_kick.store(1, std::memory_order_release);
				signals++;
			}
			if (hvk_ring_unmask(&cons))
				continue;
			take_kick(cons_kick);
		}
		// Batched commit: give space back every 64 KiB, as a driver's
		// NAPI-style drain would, not per packet.
		if (hvk_ring_used(cons.priv_read, cons.pub_read, kRingSize) >= 65536 &&
		    hvk_ring_commit(&cons)) {
			prod_kick.store(1, std::memory_order_release);
			signals++;
		}
		benchmark::DoNotOptimize(buf.data());
	}
	stop = true;
	prod_kick = 1;
	producer.join();
	state.SetBytesProcessed(int64_t(state.iterations()) * n);
	state.SetItemsProcessed(state.iterations());
	state.counters["signals/pkt"] = double(signals) / double(state.iterations());
}

void BM_Ring(benchmark::State &state)
{
	ring_run(state, 1);
}

constexpr u32 kBatch = 32;

void BM_RingBatched(benchmark::State &state)
{
	ring_run(state, kBatch);
}

// The ceiling for any ring that copies packets in on one core and out on
// another: the ring's bytes cut into fixed slots of the packet size, the
// producer filling slots while the consumer empties others, each side
// reading the other's counter only when it runs out of slots it knows
// about. No descriptors, indices to check, padding or signalling rules.
void BM_CrossCore(benchmark::State &state)
{
	const size_t n = state.range(0);
	const u64 slots = kRingSize / n;
	std::vector<u8> src(n, 0x5a), dst(n), area(slots * n);
	alignas(64) std::atomic<u64> ready{0};
	alignas(64) std::atomic<u64> taken{0};
	std::atomic<bool> stop{false};
	std::thread producer([&] {
		Pinned producer_cpu(1);
		u64 seen_taken = 0;
		for (u64 seq = 0; !stop.load(std::memory_order_relaxed); seq++) {
			while (seq - seen_taken >= slots) {
				if (stop.load(std::memory_order_relaxed))
					return;
				__builtin_ia32_pause();
				seen_taken = taken.load(std::memory_order_acquire);
			}
			std::memcpy(&area[(seq % slots) * n], src.data(), n);
			ready.store(seq + 1, std::memory_order_release);
		}
	});
	// After the producer started: it must not inherit this CPU alone.
	Pinned consumer_cpu(0);
	u64 i = 0, seen_ready = 0;
	for (auto _ : state) {
		while (seen_ready <= i) {
			seen_ready = ready.load(std::memory_order_acquire);
			if (seen_ready <= i)
				__builtin_ia32_pause();
		}
		std::memcpy(dst.data(), &area[(i % slots) * n], n);
		i++;
		// Give slots back in 64 KiB batches, as the ring's consumer does.
		if ((i * n) % 65536 < n)
			taken.store(i, std::memory_order_release);
		benchmark::DoNotOptimize(dst.data());
	}
	stop = true;
	producer.join();
	state.SetBytesProcessed(int64_t(state.iterations()) * n);
}

constexpr int64_t kSizes[] = {64, 256, 1024, 4096, 16384, 65536};

// Collects bytes/s per benchmark name for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
public:
	void ReportRuns(const std::vector<Run> &runs) override
	{
		ConsoleReporter::ReportRuns(runs);
		// With repetitions, only the medians go into the table.
		for (const auto &r : runs) {
			auto it = r.counters.find("bytes_per_second");
			if (it == r.counters.end())
				continue;
			std::string name = r.benchmark_name();
			const std::string med = "_median";
			if (r.run_type == Run::RT_Aggregate) {
				if (name.size() > med.size() && name.compare(name.size() - med.size(), med.size(), med) == 0)
					rate[name.substr(0, name.size() - med.size())] = it->second;
			} else if (!rate.count(name)) {
				rate[name] = it->second;
			}
		}
	}
	std::map<std::string, double> rate;
};

} // namespace

BENCHMARK(BM_Memcpy)->ArgsProduct({{std::begin(kSizes), std::end(kSizes)}});
BENCHMARK(BM_CrossCore)->ArgsProduct({{std::begin(kSizes), std::end(kSizes)}})->UseRealTime();
BENCHMARK(BM_Ring)->ArgsProduct({{std::begin(kSizes), std::end(kSizes)}})->UseRealTime();
BENCHMARK(BM_RingBatched)->Arg(64)->Arg(256)->Arg(1024)->UseRealTime();

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	RatioReporter rep;
	benchmark::RunSpecifiedBenchmarks(&rep);
	std::printf("\nring (2 threads) against this run's memcpy (1 thread) and its cross-core\n"
		    "ceiling (copy in on one core, out on the other, the ring's bytes as fixed\n"
		    "slots, no ring logic); medians when repeated:\n");
	std::printf("%10s %11s %12s %12s %9s %12s\n", "packet", "ring MB/s", "memcpy MB/s",
		    "xcore MB/s", "/memcpy", "/cross-core");
	for (int64_t s : kSizes) {
		std::string k = std::to_string(s);
		auto r = rep.rate.find("BM_Ring/" + k + "/real_time");
		auto m = rep.rate.find("BM_Memcpy/" + k);
		auto x = rep.rate.find("BM_CrossCore/" + k + "/real_time");
		if (r == rep.rate.end() || m == rep.rate.end() || x == rep.rate.end())
			continue;
		std::printf("%10lld %11.0f %12.0f %12.0f %9.2f %12.2f\n", (long long)s, r->second / 1e6,
			    m->second / 1e6, x->second / 1e6, r->second / m->second,
			    r->second / x->second);
	}
	std::printf("\nbatched publishing (%u packets a publish, as xmit_more) against per-packet\n"
		    "publishing, and against the cross-core ceiling:\n", kBatch);
	std::printf("%10s %13s %15s %12s %12s\n", "packet", "batched MB/s", "per-packet MB/s",
		    "/per-packet", "/cross-core");
	for (int64_t s : {64, 256, 1024}) {
		std::string k = std::to_string(s);
		auto b = rep.rate.find("BM_RingBatched/" + k + "/real_time");
		auto r = rep.rate.find("BM_Ring/" + k + "/real_time");
		auto x = rep.rate.find("BM_CrossCore/" + k + "/real_time");
		if (b == rep.rate.end() || r == rep.rate.end() || x == rep.rate.end())
			continue;
		std::printf("%10lld %13.0f %15.0f %12.2f %12.2f\n", (long long)s, b->second / 1e6,
			    r->second / 1e6, b->second / r->second, b->second / x->second);
	}
	benchmark::Shutdown();
	return 0;
}
