// SPDX-License-Identifier: MIT
#include "capture/inputs.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "log.h"

static int add(struct afm_inputs *in, const char *path)
{
	char **p = realloc(in->paths, (in->count + 1) * sizeof(*p));

	if (!p)
		return -1;
	in->paths = p;
	p[in->count] = strdup(path);
	if (!p[in->count])
		return -1;
	in->count++;
	return 0;
}

/* What a directory or a glob passed over, named in one notice. */
struct passed {
	char names[512];
	size_t count;
};

static void pass_over(struct passed *ps, const char *name, const char *why)
{
	size_t used = strlen(ps->names);

	if (ps->count++ < 8 && used + strlen(name) + strlen(why) + 8 < sizeof(ps->names))
		snprintf(ps->names + used, sizeof(ps->names) - used, "%s%s (%s)", used ? ", " : "", name, why);
}

static void say_passed(const struct passed *ps, const char *where)
{
	if (ps->count)
		afm_notice("%s: passed over %zu %s: %s%s", where, ps->count,
			   ps->count == 1 ? "entry that is not a capture" : "entries that are not captures", ps->names,
			   ps->count > 8 ? ", ..." : "");
}

/*
 * One entry of a directory or a glob: a capture by its content, whatever its name,
 * is taken; anything else is passed over (and named). 0 or -1 (out of memory).
 */
static int consider(struct afm_inputs *in, const char *path, const char *name, struct passed *ps)
{
	struct stat st;
	int is;

	if (stat(path, &st) != 0) {
		pass_over(ps, name, strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		pass_over(ps, name, "a directory");
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		pass_over(ps, name, "not a regular file");
		return 0;
	}
	is = afm_capture_sniff(path);
	if (is <= 0) {
		pass_over(ps, name, is < 0 ? strerror(-is) : st.st_size ? "not a capture" : "empty");
		return 0;
	}
	return add(in, path);
}

/* Every regular file of a directory that is a capture by its content, in name order. */
static int add_directory(struct afm_inputs *in, const char *dir, char *err, size_t errlen)
{
	struct passed ps = { "", 0 };
	struct dirent **list;
	size_t before = in->count;
	int n = scandir(dir, &list, NULL, alphasort), ret = 0;

	if (n < 0) {
		snprintf(err, errlen, "cannot read directory %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		const char *name = list[i]->d_name;

		if (!ret && strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
			snprintf(path, sizeof(path), "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
			if (consider(in, path, name, &ps) != 0) {
				snprintf(err, errlen, "out of memory");
				ret = -1;
			}
		}
		free(list[i]);
	}
	free(list);
	if (!ret && in->count == before) {
		snprintf(err, errlen, "%s: no capture in this directory (%zu entries, none a pcap or pcapng file)", dir,
			 ps.count);
		return -1;
	}
	if (!ret)
		say_passed(&ps, dir);
	return ret;
}

/* A quoted pattern the shell left alone: its matches, directories read as such. */
static int add_glob(struct afm_inputs *in, const char *pattern, char *err, size_t errlen)
{
	struct passed ps = { "", 0 };
	size_t before = in->count;
	glob_t g;
	int r = glob(pattern, GLOB_MARK, NULL, &g), ret = 0;

	if (r == GLOB_NOMATCH) {
		snprintf(err, errlen, "no capture matches %s", pattern);
		return -1;
	}
	if (r != 0) {
		snprintf(err, errlen, "cannot expand %s", pattern);
		return -1;
	}
	for (size_t k = 0; k < g.gl_pathc && !ret; k++) {
		const char *p = g.gl_pathv[k];

		ret = p[strlen(p) - 1] == '/' ? add_directory(in, p, err, errlen) : consider(in, p, p, &ps);
		if (ret && !*err)
			snprintf(err, errlen, "out of memory");
	}
	globfree(&g);
	if (!ret && in->count == before) {
		snprintf(err, errlen, "no capture matches %s (%zu matches, none a pcap or pcapng file)", pattern, ps.count);
		return -1;
	}
	if (!ret)
		say_passed(&ps, pattern);
	return ret;
}

int afm_inputs_expand(struct afm_inputs *in, const char *const *args, int n, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	*err = '\0';
	for (int i = 0; i < n; i++) {
		struct stat st;
		int r;

		if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
			r = add_directory(in, args[i], err, errlen);
		else if (stat(args[i], &st) != 0 && strpbrk(args[i], "*?["))
			r = add_glob(in, args[i], err, errlen);
		else if ((r = add(in, args[i])) != 0)	/* a file must be a capture: opening it says */
			snprintf(err, errlen, "out of memory");
		if (r)
			return -1;
	}
	return 0;
}

int afm_inputs_distinct(const struct afm_inputs *in, char *err, size_t errlen)
{
	struct stat *st = calloc(in->count ? in->count : 1, sizeof(*st));
	int ret = 0;

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < in->count && !ret; i++) {
		int ok = strcmp(in->paths[i], "-") == 0 ? fstat(STDIN_FILENO, &st[i]) : stat(in->paths[i], &st[i]);

		if (ok != 0 || !S_ISREG(st[i].st_mode))
			continue;	/* missing: opening says so; a pipe is read once anyway */
		for (size_t j = 0; j < i; j++)
			if (S_ISREG(st[j].st_mode) && st[j].st_dev == st[i].st_dev && st[j].st_ino == st[i].st_ino) {
				snprintf(err, errlen, "the capture %s is given twice (also as %s): its packets would "
					 "be metered twice", in->paths[i], in->paths[j]);
				ret = -1;
				break;
			}
	}
	free(st);
	return ret;
}

void afm_inputs_free(struct afm_inputs *in)
{
	for (size_t i = 0; i < in->count; i++)
		free(in->paths[i]);
	free(in->paths);
	memset(in, 0, sizeof(*in));
}
