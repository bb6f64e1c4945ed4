// SPDX-License-Identifier: GPL-2.0
/* The IC wire code, the same source the guest's hvkit_utils builds. */
#include "../util/ic_wire.c"
