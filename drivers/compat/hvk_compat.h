/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 6.18 API on older kernels. Each HVK_HAVE_* comes from a compile test
 * in probes/ (see README.md), never from a version number.
 */
#ifndef _HVK_COMPAT_H
#define _HVK_COMPAT_H

#include "generated/probed.h"

/* 6.11: bus_type.match() takes a const struct device_driver. */
#ifdef HVK_HAVE_BUS_MATCH_CONST_DRV
#define hvk_bus_match_drv const struct device_driver
#else
#define hvk_bus_match_drv struct device_driver
#endif

/* 6.3: bus_type.uevent() takes a const struct device. */
#ifdef HVK_HAVE_BUS_UEVENT_CONST_DEV
#define hvk_bus_uevent_dev const struct device
#else
#define hvk_bus_uevent_dev struct device
#endif

/* 6.4: bus_register() and device.bus take a const struct bus_type. */
#ifdef HVK_HAVE_BUS_REGISTER_CONST
#define hvk_bus_type const struct bus_type
#else
#define hvk_bus_type struct bus_type
#endif

/* 6.4: bus_attribute.show() takes a const struct bus_type. */
#ifdef HVK_HAVE_BUS_ATTR_SHOW_CONST
#define hvk_bus_attr_bus const struct bus_type
#else
#define hvk_bus_attr_bus struct bus_type
#endif

/* 6.13: hrtimer_setup(); 6.16 removed hrtimer_init(). */
#ifndef HVK_HAVE_HRTIMER_SETUP
#include <linux/hrtimer.h>

static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/* 6.16: the x86 MSR accessors are rdmsrq() and wrmsrq(). */
#ifndef HVK_HAVE_MSR_Q
#define rdmsrq(msr, val) rdmsrl(msr, val)
#define wrmsrq(msr, val) wrmsrl(msr, val)
#endif

/*
 * 6.18: register_syscore() takes a struct syscore whose ops get a data
 * pointer; before, register_syscore_ops() and ops without arguments.
 * HVK_SYSCORE_SHUTDOWN(name, fn) defines a registration that calls
 * void fn(void) at syscore shutdown; hvk_syscore_register(&name) and
 * hvk_syscore_unregister(&name) manage it.
 */
#include <linux/syscore_ops.h>
#ifdef HVK_HAVE_SYSCORE_DATA
#define HVK_SYSCORE_SHUTDOWN(name, fn) \
	static void name##_shutdown(void *data) { fn(); } \
	static const struct syscore_ops name##_ops = { .shutdown = name##_shutdown }; \
	static struct syscore name = { .ops = &name##_ops }
#define hvk_syscore_register(s)		register_syscore(s)
#define hvk_syscore_unregister(s)	unregister_syscore(s)
#else
#define HVK_SYSCORE_SHUTDOWN(name, fn) \
	static void name##_shutdown(void) { fn(); } \
	static struct syscore_ops name = { .shutdown = name##_shutdown }
#define hvk_syscore_register(s)		register_syscore_ops(s)
#define hvk_syscore_unregister(s)	unregister_syscore_ops(s)
#endif

/*
 * struct ms_hyperv_info has the guest's VTL (6.12 has it, 6.1 does not);
 * without it the guest is taken to run at VTL 0.
 */
#ifdef HVK_HAVE_MS_HYPERV_VTL
#define hvk_ms_hyperv_vtl()	(ms_hyperv.vtl)
#else
#define hvk_ms_hyperv_vtl()	((u8)0)
#endif

/*
 * A PCI function's driver_override: in struct device, set with
 * device_set_driver_override(), in newer kernels (Debian's 6.12.117 has
 * it by backport); the PCI device's own field before. "" clears it.
 */
#include <linux/pci.h>
#ifdef HVK_HAVE_DEV_DRIVER_OVERRIDE
static inline int hvk_pci_driver_override(struct pci_dev *p, const char *s)
{
	return device_set_driver_override(&p->dev, s);
}
#else
static inline int hvk_pci_driver_override(struct pci_dev *p, const char *s)
{
	return driver_set_override(&p->dev, &p->driver_override, s, strlen(s));
}
#endif

/*
 * 6.8: ethtool's get_rxfh()/set_rxfh() take struct ethtool_rxfh_param.
 * HVK_RXFH_OPS(get, set) defines get_op and set_op of either shape around
 * get(dev, indir, key, &hfunc) and set(dev, indir, key, hfunc).
 */
#include <linux/ethtool.h>
#ifdef HVK_HAVE_ETHTOOL_RXFH_PARAM
#define HVK_RXFH_OPS(get, set)							\
static int get##_op(struct net_device *d, struct ethtool_rxfh_param *p)		\
{										\
	return get(d, p->indir, p->key, &p->hfunc);				\
}										\
static int set##_op(struct net_device *d, struct ethtool_rxfh_param *p,		\
		    struct netlink_ext_ack *extack)				\
{										\
	return set(d, p->indir, p->key, p->hfunc);				\
}
#else
#define HVK_RXFH_OPS(get, set)							\
static int get##_op(struct net_device *d, u32 *indir, u8 *key, u8 *hfunc)	\
{										\
	return get(d, indir, key, hfunc);					\
}										\
static int set##_op(struct net_device *d, const u32 *indir, const u8 *key,	\
		    const u8 hfunc)						\
{										\
	return set(d, indir, key, hfunc);					\
}
#endif

/* 6.2: IFF_NO_ADDRCONF; before it, IPv6 addrconf skipped IFF_SLAVE devices. */
#ifndef HVK_HAVE_NETDEV_NO_ADDRCONF
#define IFF_NO_ADDRCONF 0
#endif

/* 6.5: skb_gso_segment() is declared in <net/gso.h>; before, in <linux/netdevice.h>. */
#ifdef HVK_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

#endif /* _HVK_COMPAT_H */
