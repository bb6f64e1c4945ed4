// SPDX-License-Identifier: GPL-2.0
// hypervkvpd's request handling (handler.h). Logs keys, sizes and
// outcomes, never values: KVP values can hold credentials.
#include "handler.h"

#include "daemon.h"

#include <cerrno>
#include <cstring>
#include <string_view>

#include <sys/socket.h>
#include <unistd.h>

namespace hvkit::kvp {

using daemon::log;

namespace {

// The string in a field of @size bytes of which the sender says @len count:
// up to the first NUL within min(@len, @size).
std::string field_str(const u8 *f, size_t size, uint32_t len)
{
	size_t n = std::min<size_t>(len, size);
	const void *nul = std::memchr(f, 0, n);
	return {reinterpret_cast<const char *>(f),
		nul ? static_cast<size_t>(static_cast<const u8 *>(nul) - f) : n};
}

// @s, cut to the field, and its NUL. The rest of the field keeps the
// kernel's bytes of this message, which no reader looks at past the NUL
// (the kernel and upstream's daemon take the string up to it).
void put_str(u8 *f, size_t size, std::string_view s)
{
	size_t n = std::min(s.size(), size - 1);
	std::memcpy(f, s.data(), n);
	f[n] = 0;
}

const char *op_name(int op)
{
	static const char *const names[] = {"GET", "SET", "DELETE", "ENUMERATE",
					    "GET_IP_INFO", "SET_IP_INFO"};
	return op >= 0 && op < HVK_KVP_OP_COUNT ? names[op] : "unknown";
}

} // namespace

const Parsed *Handler::read_pool(int pool)
{
	std::string err;
	bool fresh = false;
	const Parsed *p = cache_.get(pool, err, &fresh);
	if (!p) {
		log(LOG_ERR, "pool %d: %s", pool, err.c_str());
		return nullptr;
	}
	if (!fresh)
		return p;
	std::string odd = describe_oddities(*p);
	if (odd != odd_[pool]) {
		if (!odd.empty())
			log(LOG_WARNING, "pool %d (%s): %s", pool, env_.pools.path(pool).c_str(),
			    odd.c_str());
		odd_[pool] = odd;
	}
	return p;
}

uint32_t Handler::get(hvk_kvp_msg &m)
{
	hvk_kvp_value &v = m.body.kvp_get;
	int pool = m.kvp_hdr.pool;
	if (v.key_size == 0 || v.key_size > HVK_KVP_MAX_KEY_SIZE)
		return HVK_S_CONT;
	std::string key = field_str(v.key, sizeof(v.key), v.key_size);
	const Parsed *p = read_pool(pool);
	if (!p)
		return HVK_S_CONT;
	const Record *r = find(p->records, key);
	log(LOG_DEBUG, "GET pool %d key '%s': %s", pool, key.c_str(), r ? "found" : "no such key");
	if (!r)
		return HVK_S_CONT;
	put_str(v.value, sizeof(v.value), r->value);
	v.value_type = HVK_REG_SZ;
	v.value_size = static_cast<uint32_t>(std::min(r->value.size(), sizeof(v.value) - 1) + 1);
	return HVK_S_OK;
}

uint32_t Handler::set(hvk_kvp_msg &m)
{
	const hvk_kvp_value &v = m.body.kvp_set;
	int pool = m.kvp_hdr.pool;
	if (v.key_size == 0 || v.key_size > HVK_KVP_MAX_KEY_SIZE ||
	    v.value_size > HVK_KVP_MAX_VALUE_SIZE) {
		log(LOG_WARNING, "SET pool %d refused: key_size %u or value_size %u too large",
		    pool, v.key_size, v.value_size);
		return HVK_S_CONT;
	}
	std::string key = field_str(v.key, sizeof(v.key), v.key_size);
	std::string value = field_str(v.value, sizeof(v.value), v.value_size);
	bool ok = false;
	std::string err;
	if (!env_.pools.update(pool, [&](std::vector<Record> &recs) {
		    ok = kvp::set(recs, key, value);
		    return ok;
	    }, err)) {
		log(LOG_ERR, "SET pool %d key '%s' not stored: %s", pool, key.c_str(), err.c_str());
		return HVK_S_CONT;
	}
	if (!ok) {
		log(LOG_WARNING, "SET pool %d refused: empty key or one of %zu bytes", pool,
		    key.size());
		return HVK_S_CONT;
	}
	log(LOG_DEBUG, "SET pool %d key '%s' (%zu-byte value)", pool, key.c_str(), value.size());
	return HVK_S_OK;
}

uint32_t Handler::del(hvk_kvp_msg &m)
{
	int pool = m.kvp_hdr.pool;
	uint32_t key_size = m.body.kvp_delete.key_size;
	if (key_size == 0 || key_size > HVK_KVP_MAX_KEY_SIZE)
		return HVK_S_CONT;
	std::string key = field_str(m.body.kvp_delete.key, HVK_KVP_MAX_KEY_SIZE, key_size);
	bool found = false;
	std::string err;
	if (!env_.pools.update(pool, [&](std::vector<Record> &recs) {
		    found = kvp::erase_key(recs, key);
		    return found;
	    }, err)) {
		log(LOG_ERR, "DELETE pool %d key '%s' failed: %s", pool, key.c_str(), err.c_str());
		return HVK_S_CONT;
	}
	log(LOG_DEBUG, "DELETE pool %d key '%s': %s", pool, key.c_str(),
	    found ? "deleted" : "no such key");
	return found ? HVK_S_OK : HVK_S_CONT;
}

uint32_t Handler::enumerate(hvk_kvp_msg &m)
{
	auto &e = m.body.kvp_enum_data;
	int pool = m.kvp_hdr.pool;
	if (pool == HVK_KVP_POOL_AUTO)
		return enumerate_auto(m);
	const Parsed *p = read_pool(pool);
	if (!p || e.index >= p->records.size())
		return HVK_S_CONT;
	const Record &r = p->records[e.index];
	put_str(e.data.key, sizeof(e.data.key), r.key);
	put_str(e.data.value, sizeof(e.data.value), r.value);
	e.data.value_type = HVK_REG_SZ;
	return HVK_S_OK;
}

uint32_t Handler::enumerate_auto(hvk_kvp_msg &m)
{
	auto &e = m.body.kvp_enum_data;
	const SystemInfo &s = env_.sys;
	// The system's facts were read at start, as upstream's daemon reads
	// them; the addresses, which change, are read for each request.
	std::string addrs;
	auto addresses = [&](int family) -> std::string_view {
		NetState net;
		std::string err;
		if (!env_.net(net, err)) {
			log(LOG_ERR, "cannot read the addresses: %s", err.c_str());
			return {};
		}
		addrs = all_addresses(net, family);
		return addrs;
	};
	std::string_view key, value;
	switch (e.index) {
	case 0: key = "FullyQualifiedDomainName"; value = s.fqdn; break;
	case 1: key = "IntegrationServicesVersion"; value = lic_version_; break;
	case 2: key = "NetworkAddressIPv4"; value = addresses(AF_INET); break;
	case 3: key = "NetworkAddressIPv6"; value = addresses(AF_INET6); break;
	case 4: key = "OSBuildNumber"; value = s.os_build; break;
	case 5: key = "OSName"; value = s.os_name; break;
	case 6: key = "OSMajorVersion"; value = s.os_major; break;
	case 7: key = "OSMinorVersion"; value = s.os_minor; break;
	case 8: key = "OSVersion"; value = s.os_version; break;
	case 9: key = "ProcessorArchitecture"; value = s.arch; break;
	default: return HVK_S_CONT;
	}
	put_str(e.data.key, sizeof(e.data.key), key);
	put_str(e.data.value, sizeof(e.data.value), value);
	e.data.value_type = HVK_REG_SZ;
	return HVK_S_OK;
}

bool Handler::handle(hvk_kvp_msg &m)
{
	int op = m.kvp_hdr.operation;
	int pool = m.kvp_hdr.pool;
	if (in_handshake_ && op == HVK_KVP_OP_REGISTER1) {
		in_handshake_ = false;
		const auto *ver = m.body.kvp_register.version;
		lic_version_ = field_str(ver, sizeof(m.body.kvp_register.version),
					 HVK_KVP_MAX_KEY_SIZE);
		log(LOG_INFO, "registered with the kernel, which speaks KVP %s",
		    lic_version_.c_str());
		return false;
	}
	// m.error overlays the header: it is set last, from the status.
	uint32_t status = HVK_S_OK;
	bool pooled = op == HVK_KVP_OP_GET || op == HVK_KVP_OP_SET ||
		      op == HVK_KVP_OP_DELETE || op == HVK_KVP_OP_ENUMERATE;
	if (pooled && pool >= kPoolCount) {
		log(LOG_WARNING, "%s for pool %d refused: pools are 0 to 4", op_name(op), pool);
		status = HVK_S_CONT;
	} else {
		switch (op) {
		case HVK_KVP_OP_GET: status = get(m); break;
		case HVK_KVP_OP_SET: status = set(m); break;
		case HVK_KVP_OP_DELETE: status = del(m); break;
		case HVK_KVP_OP_ENUMERATE: status = enumerate(m); break;
		case HVK_KVP_OP_GET_IP_INFO: {
			NetState net;
			std::string err;
			if (!env_.net(net, err)) {
				log(LOG_ERR, "GET_IP_INFO: %s", err.c_str());
				status = HVK_E_FAIL;
				break;
			}
			status = fill_ip_info(net, env_.dns ? env_.dns() : std::vector<std::string>{},
					      m.body.kvp_ip_val);
			if (status != HVK_S_OK)
				log(LOG_INFO, "GET_IP_INFO: no adapter with MAC '%s' has an address",
				    ip_field(m.body.kvp_ip_val, IpField::adapter).c_str());
			break;
		}
		case HVK_KVP_OP_SET_IP_INFO: {
			std::string why;
			status = env_.set_ip ? env_.set_ip(m.body.kvp_ip_val, why) : HVK_E_FAIL;
			if (status != HVK_S_OK)
				log(LOG_ERR, "SET_IP_INFO for adapter '%s' failed: %s",
				    ip_field(m.body.kvp_ip_val, IpField::adapter).c_str(),
				    why.empty() ? "not supported here" : why.c_str());
			break;
		}
		default:
			log(LOG_WARNING, "operation %d is unknown; answered E_FAIL", op);
			status = HVK_E_FAIL;
			break;
		}
	}
	m.error = static_cast<s32>(status);
	return true;
}

bool register_daemon(int fd)
{
	hvk_kvp_msg m {};
	m.kvp_hdr.operation = HVK_KVP_OP_REGISTER1;
	ssize_t n = ::write(fd, &m, sizeof(m));
	if (n == static_cast<ssize_t>(sizeof(m)))
		return true;
	if (n >= 0)
		errno = EIO;
	return false;
}

Step serve_one(int fd, Handler &h)
{
	// The handler's buffer, not zeroed: each read fills it with one whole
	// message, or the message is refused.
	Handler::IoBuf &buf = h.io_buf();
	ssize_t n = ::read(fd, buf.raw, sizeof(buf.raw));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return Step::Ok;
	if (n < 0) {
		log(LOG_ERR, "cannot read from the device: %s", std::strerror(errno));
		return Step::Reset;
	}
	if (n != static_cast<ssize_t>(sizeof(hvk_kvp_msg))) {
		log(LOG_ERR, "read %zd bytes from the device, not one %zu-byte message; registering again",
		    n, sizeof(hvk_kvp_msg));
		return Step::Reset;
	}
	int op = buf.m.kvp_hdr.operation;
	if (!h.handle(buf.m))
		return Step::Ok;
	ssize_t w = ::write(fd, &buf.m, sizeof(buf.m));
	if (w != static_cast<ssize_t>(sizeof(buf.m))) {
		log(LOG_ERR, "cannot answer %s: %s; registering again", op_name(op),
		    w < 0 ? std::strerror(errno) : "short write");
		return Step::Reset;
	}
	return Step::Ok;
}

} // namespace hvkit::kvp
