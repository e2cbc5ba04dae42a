// SPDX-License-Identifier: MIT
#define _GNU_SOURCE	/* fopencookie */
#include "capture/decompress.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define INPUT_CHUNK (256 << 10)	/* bytes read from a descriptor at a time */
#define MAP_STEP (1U << 30)	/* bytes of a mapping handed to a decoder at a time */

struct afm_stream {
	enum afm_codec codec;
	/* the input: a mapping, or a descriptor read into buf after a prefix */
	const uint8_t *map;
	size_t len, pos;	/* map: its length, the bytes handed to the decoder */
	int fd;
	uint8_t *buf;
	const uint8_t *in;	/* unread input: in[0 .. avail) */
	size_t avail;
	uint8_t prefix[AFM_CODEC_MAGIC_MAX];
	size_t nprefix;
	int input_end;		/* no more input */
	uint64_t consumed;	/* input bytes the decoder has taken */
	int finished;		/* the decoder is at the end of a member or frame */
	int done;		/* nothing more comes out */
	char error[160];
	union {
		z_stream z;
		ZSTD_DStream *zstd;
		lzma_stream xz;
	} u;
};

enum afm_codec afm_codec_of(const uint8_t *b, size_t n)
{
	static const uint8_t xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
		return AFM_CODEC_GZIP;
	if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
		return AFM_CODEC_ZSTD;
	if (n >= 6 && memcmp(b, xz, 6) == 0)
		return AFM_CODEC_XZ;
	return AFM_CODEC_NONE;
}

const char *afm_codec_name(enum afm_codec codec)
{
	switch (codec) {
	case AFM_CODEC_GZIP:
		return "gzip";
	case AFM_CODEC_ZSTD:
		return "zstd";
	case AFM_CODEC_XZ:
		return "xz";
	default:
		return "uncompressed";
	}
}

/* read() from the input's descriptor: bytes, -EINTR (a signal: stop), or -1 (said in error). */
static ssize_t read_input(struct afm_stream *s, void *buf, size_t size)
{
	ssize_t n = read(s->fd, buf, size);

	if (n < 0 && errno == EINTR)
		return -EINTR;
	if (n < 0) {
		snprintf(s->error, sizeof(s->error), "cannot read: %s", strerror(errno));
		return -1;
	}
	return n;
}

/*
 * More input when the decoder has taken all it had. 0, -1 on a read error, -EINTR
 * when a signal cut the read short (SIGINT, SIGTERM: the reading is to stop).
 */
static int refill(struct afm_stream *s)
{
	if (s->avail || s->input_end)
		return 0;
	if (s->map) {
		size_t n = s->len - s->pos < MAP_STEP ? s->len - s->pos : MAP_STEP;

		s->in = s->map + s->pos;
		s->avail = n;
		s->pos += n;
		s->input_end = s->pos == s->len;
		return 0;
	}
	if (s->nprefix) {
		s->in = s->prefix;
		s->avail = s->nprefix;
		s->nprefix = 0;
		return 0;
	}
	ssize_t n = read_input(s, s->buf, INPUT_CHUNK);

	if (n < 0)
		return (int)n;
	s->in = s->buf;
	s->avail = (size_t)n;
	s->input_end = n == 0;
	return 0;
}

static void take(struct afm_stream *s, size_t n)
{
	s->in += n;
	s->avail -= n;
	s->consumed += n;
}

/* One decoder step: input in[0..avail) to out[0..size). Bytes written, or -1. */
static ssize_t step(struct afm_stream *s, uint8_t *out, size_t size)
{
	size_t made = 0, used = 0;

	if (s->finished && !s->avail && s->codec != AFM_CODEC_XZ)
		return 0;	/* at the end of a member or frame, and no more input: the end */
	switch (s->codec) {
	case AFM_CODEC_GZIP: {
		z_stream *z = &s->u.z;

		if (s->finished) {	/* another member follows */
			if (inflateReset(z) != Z_OK)
				return -1;
			s->finished = 0;
		}
		z->next_in = (Bytef *)s->in;
		z->avail_in = (uInt)(s->avail > UINT32_MAX ? UINT32_MAX : s->avail);
		z->next_out = out;
		z->avail_out = (uInt)(size > UINT32_MAX ? UINT32_MAX : size);
		uInt in0 = z->avail_in, out0 = z->avail_out;
		int r = inflate(z, Z_NO_FLUSH);

		used = in0 - z->avail_in;
		made = out0 - z->avail_out;
		if (r == Z_STREAM_END) {
			s->finished = 1;
		} else if (r != Z_OK && !(r == Z_BUF_ERROR && !used && !made)) {
			snprintf(s->error, sizeof(s->error), "gzip: %s", z->msg ? z->msg : zError(r));
			take(s, used);
			return -1;
		}
		break;
	}
	case AFM_CODEC_ZSTD: {
		ZSTD_inBuffer in = { s->in, s->avail, 0 };
		ZSTD_outBuffer o = { out, size, 0 };
		size_t r = ZSTD_decompressStream(s->u.zstd, &o, &in);

		used = in.pos;
		made = o.pos;
		if (ZSTD_isError(r)) {
			snprintf(s->error, sizeof(s->error), "zstd: %s", ZSTD_getErrorName(r));
			take(s, used);
			return -1;
		}
		s->finished = r == 0;
		break;
	}
	case AFM_CODEC_XZ: {
		lzma_stream *x = &s->u.xz;

		x->next_in = s->in;
		x->avail_in = s->avail;
		x->next_out = out;
		x->avail_out = size;
		lzma_ret r = lzma_code(x, s->input_end && !s->avail ? LZMA_FINISH : LZMA_RUN);

		used = s->avail - x->avail_in;
		made = size - x->avail_out;
		if (r == LZMA_STREAM_END) {
			s->finished = 1;
			s->done = 1;	/* LZMA_CONCATENATED: the end of every stream */
		} else if (r != LZMA_OK && !(r == LZMA_BUF_ERROR && !used && !made)) {
			snprintf(s->error, sizeof(s->error), "xz: %s",
				 r == LZMA_DATA_ERROR	 ? "compressed data is corrupt"
				 : r == LZMA_FORMAT_ERROR ? "not in the xz format"
				 : r == LZMA_MEM_ERROR	 ? "out of memory"
							 : "cannot decompress");
			take(s, used);
			return -1;
		}
		break;
	}
	default:
		made = s->avail < size ? s->avail : size;
		memcpy(out, s->in, made);
		used = made;
		break;
	}
	take(s, used);
	return (ssize_t)made;
}

/* The input has ended: complete only at the end of a member or frame. */
static void check_end(struct afm_stream *s)
{
	if (s->codec != AFM_CODEC_NONE && !s->finished && !s->error[0])
		snprintf(s->error, sizeof(s->error), "%s: the compressed data ends early (truncated)",
			 afm_codec_name(s->codec));
	s->done = 1;
}

/* A read cut short by a signal: what there is, or the interruption itself. */
static ssize_t interrupted(size_t got)
{
	if (got)
		return (ssize_t)got;
	errno = EINTR;
	return -1;
}

/*
 * fopencookie's read: fill buf with decompressed bytes, returning as soon as there
 * are some and the input at hand is used up (a pipe's data goes on at once); 0 at
 * the end, also at damage (afm_stream_error() then says what).
 */
static ssize_t stream_read(void *cookie, char *buf, size_t size)
{
	struct afm_stream *s = cookie;
	size_t got = 0;

	while (got < size && !s->done) {
		if (s->codec == AFM_CODEC_NONE && !s->map && !s->nprefix && !s->avail) {
			/* uncompressed from a descriptor: straight into stdio's buffer */
			ssize_t n = read_input(s, buf + got, size - got);

			if (n == -EINTR)
				return interrupted(got);
			if (n <= 0) {
				s->done = 1;
				break;
			}
			s->consumed += (uint64_t)n;
			got += (size_t)n;
			break;
		}
		if (got && !s->avail)
			break;
		int r = refill(s);

		if (r == -EINTR)
			return interrupted(got);
		if (r != 0) {
			s->done = 1;
			break;
		}
		/* at the input's end a decoder may still hold bytes (xz is told: LZMA_FINISH) */
		int ending = !s->avail && s->input_end;
		size_t before = s->avail;
		ssize_t n = step(s, (uint8_t *)buf + got, size - got);

		if (n == 0 && before && s->avail == before) {	/* never spin on a stuck decoder */
			snprintf(s->error, sizeof(s->error), "%s: cannot decompress", afm_codec_name(s->codec));
			n = -1;
		}
		if (n < 0) {
			s->done = 1;
			break;
		}
		got += (size_t)n;
		if (ending && !n)
			check_end(s);
	}
	return (ssize_t)got;
}

static int stream_close(void *cookie)
{
	struct afm_stream *s = cookie;

	switch (s->codec) {
	case AFM_CODEC_GZIP:
		inflateEnd(&s->u.z);
		break;
	case AFM_CODEC_ZSTD:
		ZSTD_freeDStream(s->u.zstd);
		break;
	case AFM_CODEC_XZ:
		lzma_end(&s->u.xz);
		break;
	default:
		break;
	}
	int e = s->fd >= 0 ? close(s->fd) : 0;

	free(s->buf);
	free(s);
	return e;
}

FILE *afm_stream_open(struct afm_stream **out, enum afm_codec codec, const uint8_t *map, size_t len, int fd,
		      const uint8_t *prefix, size_t nprefix)
{
	struct afm_stream *s = calloc(1, sizeof(*s));
	int ok;

	if (!s || nprefix > sizeof(s->prefix) || (!map && !(s->buf = malloc(INPUT_CHUNK)))) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	s->codec = codec;
	s->map = map;
	s->len = len;
	s->fd = fd;
	if (nprefix)
		memcpy(s->prefix, prefix, nprefix);
	s->nprefix = nprefix;
	switch (codec) {
	case AFM_CODEC_GZIP:
		ok = inflateInit2(&s->u.z, 16 + MAX_WBITS) == Z_OK;	/* gzip wrapper only */
		break;
	case AFM_CODEC_ZSTD:
		ok = (s->u.zstd = ZSTD_createDStream()) != NULL && !ZSTD_isError(ZSTD_initDStream(s->u.zstd));
		break;
	case AFM_CODEC_XZ:
		s->u.xz = (lzma_stream)LZMA_STREAM_INIT;
		ok = lzma_stream_decoder(&s->u.xz, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
		break;
	default:
		ok = 1;
		break;
	}
	if (!ok) {
		s->fd = -1;	/* not ours until the stream is made */
		stream_close(s);
		errno = ENOMEM;
		return NULL;
	}
	cookie_io_functions_t io = { .read = stream_read, .close = stream_close };
	FILE *f = fopencookie(s, "rb", io);

	if (!f) {
		s->fd = -1;
		stream_close(s);
		return NULL;
	}
	*out = s;
	return f;
}

uint64_t afm_stream_offset(const struct afm_stream *s)
{
	return s->consumed;
}

const char *afm_stream_error(const struct afm_stream *s)
{
	return s->error[0] ? s->error : NULL;
}
