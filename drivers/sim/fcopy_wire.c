// SPDX-License-Identifier: GPL-2.0
/* The file copy wire code, the same source the guest's hvkit_utils builds. */
#include "../util/fcopy_wire.c"
