/* SPDX-License-Identifier: MIT */
/*
 * Compressed captures: gzip (zlib), zstd (libzstd) and xz (liblzma), recognised by
 * their magic bytes, streamed into the capture reader as a stdio stream of the
 * decompressed bytes. Concatenated members and frames are read as one stream.
 */
#ifndef AFM_DECOMPRESS_H
#define AFM_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum afm_codec {
	AFM_CODEC_NONE = 0,
	AFM_CODEC_GZIP,
	AFM_CODEC_ZSTD,
	AFM_CODEC_XZ,
};

#define AFM_CODEC_MAGIC_MAX 6	/* bytes that tell the codecs apart */

/* The codec whose magic number b starts with (n bytes of it), or AFM_CODEC_NONE. */
enum afm_codec afm_codec_of(const uint8_t *b, size_t n);
const char *afm_codec_name(enum afm_codec codec);	/* "gzip", "zstd", "xz" */

struct afm_stream;

/*
 * A stream of the bytes that codec decompresses (AFM_CODEC_NONE: the bytes as they
 * are), read from memory (map, len: a mapped file) or, when map is NULL, from the file
 * descriptor fd after the bytes in prefix (already read from it). The FILE owns the
 * stream and fd: fclose() frees both. NULL with errno set when it cannot be made.
 */
FILE *afm_stream_open(struct afm_stream **out, enum afm_codec codec, const uint8_t *map, size_t len, int fd,
		      const uint8_t *prefix, size_t nprefix);
/* Bytes of the input (compressed) consumed so far. */
uint64_t afm_stream_offset(const struct afm_stream *s);
/* Why the stream ended early (damaged or truncated compressed data), or NULL. */
const char *afm_stream_error(const struct afm_stream *s);

#endif
