// SPDX-License-Identifier: GPL-2.0
#include "vmbus.h"

#include <libudev.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

namespace hvkit {

namespace {

struct UdevDeleter {
	void operator()(udev *u) const { udev_unref(u); }
	void operator()(udev_enumerate *e) const { udev_enumerate_unref(e); }
	void operator()(udev_device *d) const { udev_device_unref(d); }
};
template <typename T> using UdevPtr = std::unique_ptr<T, UdevDeleter>;

std::string read_line(const std::filesystem::path &p)
{
	std::ifstream f(p);
	std::string s;
	std::getline(f, s);
	return s;
}

std::string strip_braces(std::string s)
{
	if (s.size() >= 2 && s.front() == '{' && s.back() == '}')
		s = s.substr(1, s.size() - 2);
	return s;
}

std::string sysattr(udev_device *d, const char *name)
{
	const char *v = udev_device_get_sysattr_value(d, name);
	return v ? v : "";
}

} // namespace

std::string ChannelInfo::attr(const std::string &name) const
{
	for (const auto &[k, v] : attrs)
		if (k == name)
			return v;
	return "";
}

bool list_devices(std::vector<DeviceInfo> &out, std::string &err)
{
	namespace fs = std::filesystem;
	UdevPtr<udev> u(udev_new());
	if (!u) {
		err = "cannot talk to udev";
		return false;
	}
	UdevPtr<udev_enumerate> e(udev_enumerate_new(u.get()));
	if (!e || udev_enumerate_add_match_subsystem(e.get(), "vmbus") < 0 ||
	    udev_enumerate_scan_devices(e.get()) < 0) {
		err = "cannot list the vmbus devices";
		return false;
	}
	udev_list_entry *entry;
	udev_list_entry_foreach(entry, udev_enumerate_get_list_entry(e.get())) {
		UdevPtr<udev_device> d(udev_device_new_from_syspath(u.get(), udev_list_entry_get_name(entry)));
		if (!d)
			continue;
		DeviceInfo info;
		info.name = udev_device_get_sysname(d.get());
		info.class_id = strip_braces(sysattr(d.get(), "class_id"));
		info.device_id = strip_braces(sysattr(d.get(), "device_id"));
		const char *drv = udev_device_get_driver(d.get());
		info.driver = drv ? drv : "";
		info.relid = static_cast<uint32_t>(std::strtoul(sysattr(d.get(), "id").c_str(), nullptr, 10));
		fs::path chans = fs::path(udev_device_get_syspath(d.get())) / "channels";
		std::error_code ec;
		for (const auto &c : fs::directory_iterator(chans, ec)) {
			ChannelInfo ci;
			ci.relid = static_cast<uint32_t>(std::strtoul(c.path().filename().c_str(), nullptr, 10));
			std::vector<std::string> names;
			for (const auto &a : fs::directory_iterator(c.path(), ec))
				if (a.is_regular_file())
					names.push_back(a.path().filename());
			std::sort(names.begin(), names.end());
			for (const auto &n : names)
				ci.attrs.emplace_back(n, read_line(c.path() / n));
			info.channels.push_back(std::move(ci));
		}
		std::sort(info.channels.begin(), info.channels.end(),
			  [](const auto &a, const auto &b) { return a.relid < b.relid; });
		out.push_back(std::move(info));
	}
	std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.relid < b.relid; });
	return true;
}

std::string protocol_version()
{
	std::string v = read_line("/sys/bus/vmbus/protocol_version");
	return v == "none" ? "" : v;
}

} // namespace hvkit
