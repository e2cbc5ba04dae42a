// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int afm_quiet;

static void say(const char *tag, const char *fmt, va_list ap)
{
	/* One fprintf per line so that lines from threads never interleave. */
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", AFM_PROG, tag, line);
}

void afm_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("error: ", fmt, ap);
	va_end(ap);
}

void afm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}

void afm_notice(const char *fmt, ...)
{
	va_list ap;

	if (afm_quiet)
		return;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}
