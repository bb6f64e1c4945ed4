// SPDX-License-Identifier: GPL-2.0
// The vPCI checks on what a hostile peer may send: bus relations, resource
// requirements, interrupt replies and eject from a host; any guest message
// the simulated host parses. Each input is copied to a buffer of its exact
// size (ASan sees any read past it), and what a check accepts must keep the
// promises its comment makes.
extern "C" {
#include <hvkit/vpci.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void bus_relations(const std::vector<u8> &d, u32 v)
{
	const u32 len = static_cast<u32>(d.size());
	hvk_vpci_rel_view r{};
	if (hvk_vpci_bus_rel_check(d.data(), len, v, &r))
		return;
	if (r.count > HVK_VPCI_MAX_SLOTS || u64(r.first) + u64(r.count) * r.entry_size > len)
		abort();
	std::vector<bool> seen(HVK_VPCI_MAX_SLOTS);
	for (u32 i = 0; i < r.count; i++) {
		hvk_vpci_func2 f;
		hvk_vpci_rel_func(d.data(), &r, i, &f);
		if (f.f.slot >= HVK_VPCI_MAX_SLOTS || seen[f.f.slot])
			abort();
		seen[f.f.slot] = true;
	}
}

void resources(const std::vector<u8> &d)
{
	hvk_vpci_bars b{};
	if (hvk_vpci_res_reqs_check(d.data(), static_cast<u32>(d.size()), &b))
		return;
	for (int i = 0; i < 6; i++) {
		if (b.size[i] && ((b.size[i] & (b.size[i] - 1)) || b.size[i] < 16))
			abort();
		if (b.size[i] && (b.flags[i] & HVK_PCI_BAR_TYPE_64) && (i == 5 || b.size[i + 1]))
			abort();
	}
}

void guest_message(const std::vector<u8> &d, u32 v)
{
	const u32 len = static_cast<u32>(d.size());
	u32 type = 0, since = 0;
	if (hvk_vpci_guest_check(d.data(), len, v, &type))
		return;
	const u32 need = hvk_vpci_guest_min_len(type, &since);
	if (!need || len < need || (v && v < since))
		abort();
	hvk_vpci_msi_req r{};
	if ((type == HVK_VPCI_CREATE_INTERRUPT || type == HVK_VPCI_CREATE_INTERRUPT2 ||
	     type == HVK_VPCI_CREATE_INTERRUPT3) &&
	    !hvk_vpci_create_int_check(d.data(), type, &r)) {
		if (!r.count || r.count > 32 || !r.vp_count || r.vp_count > 32)
			abort();
	}
	if (type == HVK_VPCI_RESOURCES_ASSIGNED || type == HVK_VPCI_RESOURCES_ASSIGNED2) {
		const u64 start[6] = {0xfe000000, 0, 0x800000000ull, 0, 0, 0};
		const u64 size[6] = {1 << 20, 0, 1ull << 30, 0, 0, 0};
		(void)hvk_vpci_res_assigned_check(d.data(), type, start, size);
	}
	if (type == HVK_VPCI_BUS_D0ENTRY) {
		hvk_vpci_d0_entry e;
		std::memcpy(&e, d.data(), sizeof(e));
		if (!hvk_vpci_d0_check(&e) && ((e.mmio_base & 0xfff) || !e.mmio_base))
			abort();
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 1 || n > 65536)
		return 0;
	std::vector<u8> d(in + 1, in + n);
	const u32 v = HVK_VPCI_VERSION(1, (in[0] >> 3) & 7);
	switch (in[0] & 7) {
	case 0:
		bus_relations(d, v);
		break;
	case 1:
		resources(d);
		break;
	case 2: {
		hvk_vpci_int_desc out{};
		const u16 count = d.empty() ? 1 : d[0];
		if (!hvk_vpci_int_reply_check(d.data(), static_cast<u32>(d.size()), count, &out) &&
		    (out.vector_count != count || (out.address >> 20) != 0xfee))
			abort();
		break;
	}
	case 3: {
		u32 slot = 0;
		if (!hvk_vpci_eject_check(d.data(), static_cast<u32>(d.size()), &slot) && slot > 0xff)
			abort();
		break;
	}
	default:
		guest_message(d, (in[0] & 0x40) ? 0 : v);
		break;
	}
	return 0;
}
