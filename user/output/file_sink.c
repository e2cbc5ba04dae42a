// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* renameat2 */
#include "output/file_sink.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BUF_BYTES (64 << 10)	/* rows gathered before a write (a pipe holds as much) */

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Where OUT.csv's number goes: OUT.csv -> "OUT" and ".csv"; OUT -> "OUT" and "". */
static size_t stem_length(const char *path)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path))
		return strlen(path);
	return (size_t)(dot - path);
}

/* OUT.csv -> OUT.000042.csv */
static void rotated_name(char *buf, size_t len, const char *path, uint64_t seq)
{
	size_t stem = stem_length(path);

	snprintf(buf, len, "%.*s.%06llu%s", (int)stem, path, (unsigned long long)seq, path + stem);
}

/* The highest N of the files OUT.N.csv (or OUT.N.csv.part) already there, 0 if none. */
static uint64_t highest_rotated(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t stem = stem_length(path) - (size_t)(base - path);
	const char *ext = path + stem_length(path);
	char dir[4096];
	uint64_t high = 0;
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		const char *p = d->d_name, *q;

		if (strncmp(p, base, stem) != 0 || p[stem] != '.')
			continue;
		p += stem + 1;
		for (q = p; *q >= '0' && *q <= '9'; q++)
			;
		if (q - p < 6 || strncmp(q, ext, strlen(ext)) != 0)
			continue;
		q += strlen(ext);
		if (*q && strcmp(q, ".part") != 0)
			continue;
		uint64_t n = strtoull(p, NULL, 10);

		if (n > high)
			high = n;
	}
	closedir(dp);
	return high;
}

static void fail(struct afm_file_sink *w, int e)
{
	if (!w->error)
		w->error = e ? e : EIO;
}

/* Write what waits in the buffer; on an error, the rows not written are lost. */
static void write_out(struct afm_file_sink *w)
{
	size_t done = 0;

	while (done < w->len && !w->error) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(w, n < 0 ? errno : ENOSPC);
		else
			done += (size_t)n;
	}
	uint64_t whole = w->buf_rows;

	if (done < w->len) {	/* the rows that did get out: whole lines only */
		whole = 0;
		for (const char *p = w->buf; (p = memchr(p, '\n', (size_t)(w->buf + done - p))); p++)
			whole++;
	}
	w->rows += whole;
	w->rows_lost += w->buf_rows - whole;
	w->len = 0;
	w->buf_rows = 0;
}

static void put(struct afm_file_sink *w, const char *s, size_t n)
{
	if (w->len + n > w->cap)
		write_out(w);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void write_header(struct afm_file_sink *w)
{
	if (w->opt.header)
		put(w, w->header, w->header_len);
}

/*
 * Another process writing the same file would interleave its rows with ours: a
 * single output file is locked while it is written. Returns 0, or -EBUSY with the
 * other process in *holder.
 */
static int lock_file(int fd, pid_t *holder)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if (fcntl(fd, F_SETLK, &l) == 0)
		return 0;
	if (errno != EACCES && errno != EAGAIN)
		return 0;	/* a file system without locks: nothing to protect against */
	l.l_type = F_WRLCK;
	*holder = fcntl(fd, F_GETLK, &l) == 0 && l.l_type != F_UNLCK ? l.l_pid : 0;
	return -EBUSY;
}

/*
 * Open the next file (the only one, or the next part). append: a reopen of a single
 * file (SIGHUP), which must not truncate it if nobody moved it away. A part is
 * created new: if the name is taken, the next number.
 */
static int open_file(struct afm_file_sink *w, int append, pid_t *holder)
{
	struct stat st;

	if (strcmp(w->path, "-") == 0) {
		w->fd = STDOUT_FILENO;
	} else if (w->rotating) {
		char final[sizeof(w->part) - 8];

		for (int tries = 0;; tries++) {
			rotated_name(final, sizeof(final), w->path, ++w->seq);
			snprintf(w->part, sizeof(w->part), "%s.part", final);
			if (access(final, F_OK) != 0) {
				w->fd = open(w->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
				if (w->fd >= 0)
					break;
				if (errno != EEXIST)
					return -errno;
			}
			if (tries == 1000)
				return -EEXIST;
		}
	} else {
		w->fd = open(w->path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : 0), 0666);
		if (w->fd < 0)
			return -errno;
		int e = lock_file(w->fd, holder);

		if (!e && !append && fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(w->fd, 0) != 0)
			e = -errno;
		if (e) {
			close(w->fd);
			w->fd = -1;
			return e;
		}
	}
	w->file_rows = 0;
	w->opened_ns = wall_ns();
	if (!append || (fstat(w->fd, &st) == 0 && st.st_size == 0)) {
		write_header(w);
		write_out(w);	/* a reader sees the columns at once, before any row */
	}
	return 0;
}

/* Give a complete part its final name, never over an existing file. */
static int complete_part(struct afm_file_sink *w)
{
	char final[sizeof(w->part)];

	for (int tries = 0; tries < 1000; tries++) {
		if (tries)
			rotated_name(final, sizeof(final), w->path, ++w->seq);
		else
			snprintf(final, sizeof(final), "%.*s", (int)(strlen(w->part) - 5), w->part);
		if (renameat2(AT_FDCWD, w->part, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EINVAL || errno == ENOSYS) {	/* no RENAME_NOREPLACE here */
			if (access(final, F_OK) != 0)
				return rename(w->part, final) == 0 ? 0 : -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
	}
	return -EEXIST;
}

/* End the current file: write what waits, close, and give a part its final name. */
static void close_file(struct afm_file_sink *w)
{
	if (w->fd < 0)
		return;
	write_out(w);
	if (w->fd != STDOUT_FILENO) {
		if (close(w->fd) != 0)
			fail(w, errno);
		if (w->rotating) {
			int e = complete_part(w);

			if (e)
				fail(w, -e);
			w->files++;
		}
	}
	w->fd = -1;
}

static void explain(const struct afm_file_sink *w, int e, pid_t holder, char *err, size_t errlen)
{
	const char *name = w->rotating ? w->part : w->path;

	if (e == -EBUSY && holder)
		snprintf(err, errlen, "cannot write output %s: another process (pid %ld) is writing it; two "
			 "meters cannot share an output file", name, (long)holder);
	else if (e == -EBUSY)
		snprintf(err, errlen, "cannot write output %s: another process is writing it; two meters "
			 "cannot share an output file", name);
	else
		snprintf(err, errlen, "cannot write output %s: %s", name, strerror(-e));
}

static void release(struct afm_file_sink *w)
{
	free(w->path);
	free(w->buf);
	free(w->line);
	free(w->header);
	w->path = w->buf = w->line = w->header = NULL;
}

int afm_file_open(struct afm_file_sink *w, const char *path, const struct afm_file_options *opt, char *err,
		 size_t errlen)
{
	pid_t holder = 0;
	int e;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->opt = *opt;
	w->rotating = (opt->rotate_rows || opt->rotate_ns) && strcmp(path, "-") != 0;
	if (strlen(path) > sizeof(w->part) - 32) {
		snprintf(err, errlen, "cannot write output %.64s...: the name is too long", path);
		return -ENAMETOOLONG;
	}
	size_t line_max = afm_format_line_max(&opt->fmt);

	w->cap = line_max > BUF_BYTES ? line_max : BUF_BYTES;
	w->path = strdup(path);
	w->buf = malloc(w->cap);
	w->line = malloc(line_max);
	w->header = malloc(line_max);
	if (!w->path || !w->buf || !w->line || !w->header) {
		snprintf(err, errlen, "out of memory");
		release(w);
		return -ENOMEM;
	}
	w->header_len = afm_format_header(&opt->fmt, w->header);
	if (w->rotating)
		w->seq = highest_rotated(path);
	e = open_file(w, 0, &holder);
	if (e) {
		explain(w, e, holder, err, errlen);
		release(w);
		return e;
	}
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

/* Rotate or reopen when due. Called with the lock held. */
static void maybe_next_file(struct afm_file_sink *w, int row_coming)
{
	int due = __atomic_exchange_n(&w->reopen, 0, __ATOMIC_ACQ_REL);
	pid_t holder = 0;

	if (w->rotating && w->fd >= 0) {
		if (w->opt.rotate_rows && w->file_rows >= w->opt.rotate_rows)
			due = 1;
		if (w->opt.rotate_ns && w->file_rows && wall_ns() - w->opened_ns >= w->opt.rotate_ns)
			due = 1;
	}
	if (due && w->fd >= 0 && w->fd != STDOUT_FILENO) {
		close_file(w);
		if (!w->rotating) {	/* one file: reopened at once, in append mode */
			int e = open_file(w, 1, &holder);

			if (e)
				fail(w, -e);
		}
	}
	/* a part is opened with its first row: rotation makes no empty files */
	if (w->fd < 0 && row_coming && !w->error) {
		int e = open_file(w, 0, &holder);

		if (e)
			fail(w, -e);
	}
}

int afm_file_write(struct afm_file_sink *w, const struct afm_row *row)
{
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	size_t n = afm_format_row(&w->opt.fmt, row, w->line);

	maybe_next_file(w, 1);
	if (w->error) {
		w->rows_lost++;
		ret = -w->error;
	} else {
		put(w, w->line, n);
		w->buf_rows++;
		w->file_rows++;
		if (w->opt.line_buffered)
			write_out(w);
		ret = -w->error;
	}
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void afm_file_request_reopen(struct afm_file_sink *w)
{
	__atomic_store_n(&w->reopen, 1, __ATOMIC_RELEASE);
}

int afm_file_tick(struct afm_file_sink *w)
{
	int e;

	pthread_mutex_lock(&w->lock);
	maybe_next_file(w, 0);
	if (w->fd >= 0)
		write_out(w);
	e = w->error;
	pthread_mutex_unlock(&w->lock);
	return -e;
}

const char *afm_file_error(const struct afm_file_sink *w, char *buf, size_t len)
{
	if (!w->error)
		return "";
	snprintf(buf, len, "cannot write output %s: %s",
		 w->rotating ? w->part : (strcmp(w->path, "-") ? w->path : "(stdout)"), strerror(w->error));
	return buf;
}

int afm_file_close(struct afm_file_sink *w, char *err, size_t errlen)
{
	int e;

	if (!w->path)
		return 0;
	pthread_mutex_lock(&w->lock);
	close_file(w);
	pthread_mutex_unlock(&w->lock);
	pthread_mutex_destroy(&w->lock);
	e = w->error;
	if (e)
		afm_file_error(w, err, errlen);
	release(w);
	return -e;
}

static int sink_write(void *impl, const struct afm_row *row)
{
	return afm_file_write(impl, row);
}

static int sink_tick(void *impl)
{
	return afm_file_tick(impl);
}

static void sink_reopen(void *impl)
{
	afm_file_request_reopen(impl);
}

static void sink_rows(void *impl, uint64_t *written, uint64_t *lost)
{
	struct afm_file_sink *w = impl;
	int open = w->path != NULL;	/* once closed, the counts are final */

	if (open)
		pthread_mutex_lock(&w->lock);
	*written = w->rows;
	*lost = w->rows_lost;
	if (open)
		pthread_mutex_unlock(&w->lock);
}

static int sink_close(void *impl, char *err, size_t errlen)
{
	return afm_file_close(impl, err, errlen);
}

struct afm_sink afm_file_sink(struct afm_file_sink *w)
{
	static const struct afm_sink_ops ops = {
		.write = sink_write,
		.tick = sink_tick,
		.request_reopen = sink_reopen,
		.rows = sink_rows,
		.close = sink_close,
	};

	return (struct afm_sink){ &ops, w };
}
