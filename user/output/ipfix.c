// SPDX-License-Identifier: MIT
#include "output/ipfix.h"

#include <errno.h>
#include <fixbuf/public.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define CONNECT_TIMEOUT_MS 1000
#define BACKOFF_MIN_NS 250000000ULL
#define BACKOFF_MAX_NS 8000000000ULL
#define IDLE_WAKE_NS 250000000ULL	/* idle: check the connection, refresh templates */
#define WARN_EVERY_NS 60000000000ULL	/* a collector that stays away: a warning a minute */
#define SET_HEADER 4
#define MESSAGE_HEADER 16

struct afm_ipfix_fixbuf {
	fbInfoModel_t *model;
	fBuf_t *fbuf;			/* owns the session and the exporter */
	fbSession_t *session;
	fbExporter_t *exporter;
	uint8_t *msg;			/* where fBufEmit() copies each message */
	uint16_t itid[2], etid[2];	/* internal and external template IDs: IPv4, IPv6 */
	uint16_t type_itid, type_etid;	/* RFC 5610 information element type records */
	int current;			/* the template records go out in: -1 none, 0/1 data, 2 types */
	size_t in_message;		/* flow records in the message being built */
	int dirty;			/* the message being built holds something */
	uint64_t templates_ns;		/* templates last sent */
	int templates_due;
	uint64_t next_attempt_ns, backoff_ns;	/* TCP: when to connect again */
	int outage;			/* TCP: warned about the collector, not yet back */
	uint64_t quiet_until_ns;	/* no warning about the collector before then */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void add_u64(uint64_t *v, uint64_t n)
{
	__atomic_add_fetch(v, n, __ATOMIC_RELAXED);
}

void afm_ipfix_counts(struct afm_ipfix *x, uint64_t *sent, uint64_t *lost)
{
	*sent = __atomic_load_n(&x->sent, __ATOMIC_RELAXED);
	*lost = __atomic_load_n(&x->lost, __ATOMIC_RELAXED);
}

/* ---- libfixbuf: the information model, templates, session (built by afm_ipfix_open) ---- */

static int fail_g(GError **g, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "IPFIX: %s: %s", what, *g ? (*g)->message : "libfixbuf failed");
	g_clear_error(g);
	return -1;
}

/* The model's name of an element, adding it (enterprise, or a reverse IANA one) when absent. */
static const char *model_name(fbInfoModel_t *model, const struct afm_ie *ie)
{
	const fbInfoElement_t *m = fbInfoModelGetElementByID(model, ie->id, ie->pen);

	if (!m) {
		fbInfoElement_t add = FB_IE_INIT_FULL(ie->name, ie->pen, ie->id, ie->len,
						      (ie->type == AFM_IE_STRING || ie->type == AFM_IE_IPV4 ||
						       ie->type == AFM_IE_IPV6 ? 0 : FB_IE_F_ENDIAN) |
							      (uint32_t)ie->semantics << 8 | (uint32_t)ie->units << 16,
						      0, 0, ie->type, ie->description);

		fbInfoModelAddElement(model, &add);
		m = fbInfoModelGetElementByID(model, ie->id, ie->pen);
	}
	return m ? m->ref.name : NULL;
}

/* A template of the layout's elements: the wire's order, or memory's (strings first). */
static fbTemplate_t *make_template(fbInfoModel_t *model, const struct afm_ipfix_layout *l, int internal, GError **g)
{
	fbTemplate_t *t = fbTemplateAlloc(model);

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->count; i++) {
			const struct afm_ie *ie = &l->ie[i];
			int string = ie->len == AFM_IPFIX_VARLEN;
			fbInfoElementSpec_t spec = { (char *)model_name(model, ie), ie->len, 0 };

			if (internal ? pass != !string : pass == 1)
				continue;
			if (!spec.name || !fbTemplateAppendSpec(t, &spec, 0, g)) {
				fbTemplateFreeUnused(t);
				return NULL;
			}
		}
	return t;
}

static int add_template(struct afm_ipfix_fixbuf *fb, fbTemplate_t *t, int internal, uint16_t tid, uint16_t *out,
			GError **g)
{
	if (!t)
		return -1;
	*out = fbSessionAddTemplate(fb->session, internal, tid, t, g);
	if (!*out) {
		fbTemplateFreeUnused(t);
		return -1;
	}
	return 0;
}

static void free_fixbuf(struct afm_ipfix_fixbuf *fb)
{
	if (!fb)
		return;
	if (fb->fbuf)
		fBufFree(fb->fbuf);	/* and the session and the exporter */
	else if (fb->session)
		fbSessionFree(fb->session);
	if (fb->model)
		fbInfoModelFree(fb->model);
	free(fb->msg);
	free(fb);
}

static int build_fixbuf(struct afm_ipfix *x, char *err, size_t errlen)
{
	struct afm_ipfix_fixbuf *fb = calloc(1, sizeof(*fb));
	uint16_t cap = x->opt.dest.tcp ? AFM_IPFIX_TCP_MESSAGE : (uint16_t)x->opt.mtu;
	GError *g = NULL;

	x->fb = fb;
	if (!fb || !(fb->msg = malloc(cap))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fb->current = -1;
	fb->templates_due = 1;
	fb->model = fbInfoModelAlloc();
	fb->session = fbSessionAlloc(fb->model);
	fbSessionSetDomain(fb->session, x->opt.domain);
	for (int v = 0; v < 2; v++) {
		if (add_template(fb, make_template(fb->model, &x->layout[v], 1, &g), TRUE, FB_TID_AUTO, &fb->itid[v],
				 &g) != 0 ||
		    add_template(fb, make_template(fb->model, &x->layout[v], 0, &g), FALSE, (uint16_t)(256 + v),
				 &fb->etid[v], &g) != 0)
			return fail_g(&g, "cannot make the flow templates", err, errlen);
	}
	fbTemplate_t *types = fbInfoElementAllocTypeTemplate(fb->model, &g);

	if (!types || (fb->type_itid = fbSessionAddTemplate(fb->session, TRUE, FB_TID_AUTO, types, &g)) == 0 ||
	    (fb->type_etid = fbSessionAddTemplate(fb->session, FALSE, 258, types, &g)) == 0)
		return fail_g(&g, "cannot make the RFC 5610 type template", err, errlen);
	fb->exporter = fbExporterAllocBuffer(fb->msg, cap);
	fb->fbuf = fBufAllocForExport(fb->session, fb->exporter);
	if (!fb->fbuf)
		return fail_g(&g, "cannot make the message buffer", err, errlen);
	fBufSetAutomaticMode(fb->fbuf, FALSE);	/* we emit: we know which records each message holds */
	return 0;
}

/* ---- the exporter thread: queue -> messages -> collector ---- */

static int give_up(void *ctx)
{
	struct afm_ipfix *x = ctx;

	return __atomic_load_n(&x->closing, __ATOMIC_ACQUIRE) &&
	       mono_ns() - __atomic_load_n(&x->progress_ns, __ATOMIC_RELAXED) >
		       AFM_IPFIX_GIVE_UP_S * 1000000000ULL;
}

static void set_progress(struct afm_ipfix *x)
{
	__atomic_store_n(&x->progress_ns, mono_ns(), __ATOMIC_RELAXED);
}

/* A collector that comes and goes does not flood stderr: a warning a minute at most. */
static int may_warn(struct afm_ipfix_fixbuf *fb)
{
	uint64_t now = mono_ns();

	if (now < fb->quiet_until_ns)
		return 0;
	fb->quiet_until_ns = now + WARN_EVERY_NS;
	return 1;
}

static void disconnect(struct afm_ipfix *x, const char *why)
{
	struct afm_ipfix_fixbuf *fb = x->fb;

	afm_ipfix_close(&x->conn, 0, 0);
	__atomic_store_n(&x->connected, 0, __ATOMIC_RELEASE);
	fb->templates_due = 1;
	fb->current = -1;
	fb->backoff_ns = BACKOFF_MIN_NS;
	fb->next_attempt_ns = mono_ns() + fb->backoff_ns;
	if (may_warn(fb))
		afm_warn("IPFIX collector %s: %s; reconnecting (records wait in the queue, then count as export_lost)",
			 x->opt.dest.text, why);
	fb->outage = 1;
}

/* Emit the message being built and send it; its flow records are sent or lost. 0 or -errno. */
static int emit(struct afm_ipfix *x)
{
	struct afm_ipfix_fixbuf *fb = x->fb;
	GError *g = NULL;
	size_t n = fb->in_message;
	int e;

	if (!fb->dirty)
		return 0;
	fb->in_message = 0;
	fb->dirty = 0;
	fb->current = -1;
	if (!fBufEmit(fb->fbuf, &g)) {
		afm_warn("IPFIX: cannot end a message: %s", g ? g->message : "libfixbuf failed");
		g_clear_error(&g);
		add_u64(&x->lost, n);
		return -EIO;
	}
	size_t len = fbExporterGetMsgLen(fb->exporter);

	if (!len)
		return 0;
	e = x->conn.fd < 0 ? -ENOTCONN : afm_ipfix_send(&x->conn, fb->msg, len, give_up, x);
	if (e) {
		add_u64(&x->lost, n);
		if (x->conn.tcp) {
			disconnect(x, strerror(-e));
		} else {
			fb->templates_due = 1;	/* the collector may come back without them */
			if (may_warn(fb))
				afm_warn("IPFIX collector %s: %s; records are counted as export_lost while it is away",
					 x->opt.dest.text, strerror(-e));
		}
		return e;
	}
	add_u64(&x->sent, n);
	set_progress(x);
	return 0;
}

static int is_eom(GError *g)
{
	return g && g_error_matches(g, FB_ERROR_DOMAIN, FB_ERROR_EOM);
}

/*
 * One libfixbuf write into the message being built. When the message is full, it is
 * emitted and the write tried once more. what names the write in a warning. 0 or -errno.
 */
typedef gboolean (*fb_write)(struct afm_ipfix *x, const void *arg, GError **g);

static int write_with_room(struct afm_ipfix *x, fb_write op, const void *arg, const char *what)
{
	for (int tries = 0;; tries++) {
		GError *g = NULL;

		if (op(x, arg, &g)) {
			x->fb->dirty = 1;
			return 0;
		}
		if (!is_eom(g) || tries) {
			afm_warn("IPFIX: cannot write %s: %s", what, g ? g->message : "libfixbuf failed");
			g_clear_error(&g);
			return -EIO;
		}
		g_clear_error(&g);
		int e = emit(x);

		if (e && x->conn.tcp)
			return e;
	}
}

struct record_arg {
	int tmpl;	/* 0, 1: IPv4, IPv6 flows; 2: RFC 5610 type records */
	uint8_t *rec;
	size_t len;
};

/* A record, in its template (selected when another one came before). */
static gboolean write_record(struct afm_ipfix *x, const void *arg, GError **g)
{
	const struct record_arg *r = arg;
	struct afm_ipfix_fixbuf *fb = x->fb;

	if (fb->current != r->tmpl) {
		uint16_t itid = r->tmpl == 2 ? fb->type_itid : fb->itid[r->tmpl];
		uint16_t etid = r->tmpl == 2 ? fb->type_etid : fb->etid[r->tmpl];

		if (!fBufSetInternalTemplate(fb->fbuf, itid, g) || !fBufSetExportTemplate(fb->fbuf, etid, g))
			return FALSE;
		fb->current = r->tmpl;
	}
	return fBufAppend(fb->fbuf, r->rec, r->len, g);
}

static int append(struct afm_ipfix *x, int tmpl, uint8_t *rec, size_t len)
{
	struct record_arg r = { tmpl, rec, len };

	return write_with_room(x, write_record, &r, "a record");
}

/* A template set (a template set between records: the template is selected again). */
static gboolean write_template(struct afm_ipfix *x, const void *arg, GError **g)
{
	if (!fbSessionExportTemplate(x->fb->session, *(const uint16_t *)arg, g))
		return FALSE;
	x->fb->current = -1;
	return TRUE;
}

static int send_template(struct afm_ipfix *x, uint16_t tid)
{
	return write_with_room(x, write_template, &tid, "a template");
}

/* An RFC 5610 record naming and typing one enterprise element. */
static gboolean write_type_record(struct afm_ipfix *x, const void *arg, GError **g)
{
	struct afm_ipfix_fixbuf *fb = x->fb;

	if (!fbInfoElementWriteOptionsRecord(fb->fbuf, arg, fb->type_itid, fb->type_etid, g))
		return FALSE;
	fb->current = 2;	/* it selected the type template */
	return TRUE;
}

static int send_type_record(struct afm_ipfix *x, const fbInfoElement_t *m)
{
	return write_with_room(x, write_type_record, m, "a type record");
}

/*
 * What a collector needs before the first record: the type template and a type record
 * per enterprise element (RFC 5610), then the flow templates. 0 or -errno.
 */
static int send_templates(struct afm_ipfix *x)
{
	struct afm_ipfix_fixbuf *fb = x->fb;
	int e = send_template(x, fb->type_etid);

	for (int v = 0; v < 2 && !e; v++)
		for (size_t i = 0; i < x->layout[v].count && !e; i++) {
			const struct afm_ie *ie = &x->layout[v].ie[i];
			const fbInfoElement_t *m = fbInfoModelGetElementByID(fb->model, ie->id, ie->pen);
			int twice = 0;

			for (size_t j = 0; v && j < x->layout[0].count; j++)	/* once for both templates */
				twice |= x->layout[0].ie[j].pen == ie->pen && x->layout[0].ie[j].id == ie->id;
			if (ie->pen == x->opt.pen && m && !twice)
				e = send_type_record(x, m);
		}
	for (int v = 0; v < 2 && !e; v++)
		e = send_template(x, fb->etid[v]);
	if (e)
		return e;
	fb->current = -1;
	fb->templates_due = 0;
	fb->templates_ns = mono_ns();
	return 0;
}

/* Not connected: try again when the backoff says so. */
static void maybe_connect(struct afm_ipfix *x)
{
	struct afm_ipfix_fixbuf *fb = x->fb;
	uint64_t now = mono_ns();
	int e;

	if (x->conn.fd >= 0 || now < fb->next_attempt_ns)
		return;
	e = afm_ipfix_connect(&x->conn, &x->opt.dest, CONNECT_TIMEOUT_MS);
	if (e) {
		fb->backoff_ns = fb->backoff_ns ? fb->backoff_ns * 2 : BACKOFF_MIN_NS;
		if (fb->backoff_ns > BACKOFF_MAX_NS)
			fb->backoff_ns = BACKOFF_MAX_NS;
		fb->next_attempt_ns = mono_ns() + fb->backoff_ns;
		if (may_warn(fb))
			afm_warn("IPFIX collector %s: %s; retrying (records wait in the queue, then count as "
				 "export_lost)", x->opt.dest.text, strerror(-e));
		fb->outage = 1;
		return;
	}
	if (fb->outage)
		afm_notice("IPFIX collector %s: connected again", x->opt.dest.text);
	fb->outage = 0;
	fb->backoff_ns = 0;
	fb->templates_due = 1;
	set_progress(x);
	__atomic_store_n(&x->connected, 1, __ATOMIC_RELEASE);
}

static uint8_t *slot(struct afm_ipfix *x, size_t i)
{
	return x->slots + (i % x->opt.queue) * x->slot_size;
}

/* Records of slots [head, head + n): appended, their messages sent. Returns how many were taken. */
static size_t export_batch(struct afm_ipfix *x, size_t head, size_t n)
{
	struct afm_ipfix_fixbuf *fb = x->fb;
	size_t done = 0;

	if (x->conn.fd < 0)
		return 0;
	if (fb->templates_due && send_templates(x) != 0 && x->conn.tcp)
		return 0;
	for (; done < n; done++) {
		uint8_t *s = slot(x, head + done);
		int v = s[0] == 6;

		if (append(x, v, s + 8, x->layout[v].record_len) != 0) {
			if (x->conn.tcp && x->conn.fd < 0)
				return done;	/* the rest waits for the next connection */
			add_u64(&x->lost, 1);	/* could not be encoded */
			continue;
		}
		fb->in_message++;
	}
	emit(x);
	return done;
}

static void *exporter(void *arg)
{
	struct afm_ipfix *x = arg;
	struct afm_ipfix_fixbuf *fb = x->fb;

	pthread_mutex_lock(&x->lock);
	for (;;) {
		if (!x->closing && (!x->count || x->conn.fd < 0)) {	/* nothing to do, or nowhere to send */
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)IDLE_WAKE_NS;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&x->work, &x->lock, &ts);
		}
		size_t head = x->head, n = x->count;
		int closing = x->closing;

		pthread_mutex_unlock(&x->lock);
		if (x->conn.fd >= 0 && x->conn.tcp && afm_ipfix_peer_gone(&x->conn))
			disconnect(x, "the collector closed the connection");
		maybe_connect(x);
		if (x->conn.fd >= 0 && !x->conn.tcp && x->opt.refresh_ns &&
		    mono_ns() - fb->templates_ns >= x->opt.refresh_ns)
			fb->templates_due = 1;
		size_t done = 0;

		if (x->conn.fd >= 0 && (n || fb->templates_due))
			done = export_batch(x, head, n);
		pthread_mutex_lock(&x->lock);
		x->head += done;
		x->count -= done;
		if (done)
			pthread_cond_broadcast(&x->room);
		if (closing && (!x->count || give_up(x)))
			break;
		if (closing && x->count && x->conn.fd < 0) {	/* wait for the next attempt */
			pthread_mutex_unlock(&x->lock);
			struct timespec nap = { 0, 50000000L };

			nanosleep(&nap, NULL);
			pthread_mutex_lock(&x->lock);
		}
	}
	add_u64(&x->lost, x->count);	/* the collector took nothing for AFM_IPFIX_GIVE_UP_S */
	x->head += x->count;
	x->count = 0;
	pthread_cond_broadcast(&x->room);
	pthread_mutex_unlock(&x->lock);
	afm_ipfix_close(&x->conn, 1, 1000);
	return NULL;
}

/* ---- the sink ---- */

static int ipfix_write(void *impl, const struct afm_row *row)
{
	static int warned;
	struct afm_ipfix *x = impl;
	int v = row->ip_version == 6;

	pthread_mutex_lock(&x->lock);
	while (x->count == x->opt.queue) {
		/* captures: wait while the collector takes records; live: never wait */
		if (!x->opt.wait_for_room || !__atomic_load_n(&x->connected, __ATOMIC_ACQUIRE) ||
		    mono_ns() - __atomic_load_n(&x->progress_ns, __ATOMIC_RELAXED) >
			    AFM_IPFIX_GIVE_UP_S * 1000000000ULL) {
			pthread_mutex_unlock(&x->lock);
			add_u64(&x->lost, 1);
			if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
				afm_warn("IPFIX: the queue of %zu records is full (the collector is down or slow): "
					 "records are lost, counted as export_lost", x->opt.queue);
			return 0;
		}
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&x->room, &x->lock, &ts);
	}
	size_t tail = x->head + x->count;

	pthread_mutex_unlock(&x->lock);
	/* one producer (the row worker): the tail slot is ours until counted in */
	uint8_t *s = slot(x, tail);

	s[0] = (uint8_t)(v ? 6 : 4);
	afm_ipfix_encode(&x->layout[v], row, s + 8, (char *)s + 8 + ((x->layout[v].record_len + 7) & ~(size_t)7));
	pthread_mutex_lock(&x->lock);
	x->count++;
	pthread_cond_signal(&x->work);
	pthread_mutex_unlock(&x->lock);
	return 0;
}

static int ipfix_tick(void *impl)
{
	(void)impl;
	return 0;
}

static void ipfix_reopen(void *impl)
{
	(void)impl;
}

static void ipfix_rows(void *impl, uint64_t *written, uint64_t *lost)
{
	afm_ipfix_counts(impl, written, lost);
}

static int ipfix_close(void *impl, char *err, size_t errlen)
{
	struct afm_ipfix *x = impl;

	(void)err;
	(void)errlen;
	if (!x->started)
		return 0;
	pthread_mutex_lock(&x->lock);
	x->closing = 1;
	set_progress(x);	/* AFM_IPFIX_GIVE_UP_S from now */
	pthread_cond_signal(&x->work);
	pthread_mutex_unlock(&x->lock);
	pthread_join(x->thread, NULL);
	x->started = 0;
	free_fixbuf(x->fb);
	x->fb = NULL;
	free(x->slots);
	x->slots = NULL;
	pthread_cond_destroy(&x->work);
	pthread_cond_destroy(&x->room);
	pthread_mutex_destroy(&x->lock);
	return 0;	/* losses are counted, not errors */
}

struct afm_sink afm_ipfix_sink(struct afm_ipfix *x)
{
	static const struct afm_sink_ops ops = {
		.write = ipfix_write,
		.tick = ipfix_tick,
		.request_reopen = ipfix_reopen,
		.rows = ipfix_rows,
		.close = ipfix_close,
	};

	return (struct afm_sink){ &ops, x };
}

/* Both templates' layouts, and the queue's slot size; 0, or -1 with the reason in err. */
static int make_layouts(struct afm_ipfix_layout layout[2], size_t *slot_size, const struct afm_ipfix_options *o,
			char *err, size_t errlen)
{
	*slot_size = 0;
	for (int v = 0; v < 2; v++) {
		if (afm_ipfix_layout(&layout[v], o->schema, o->pen, v ? 6 : 4) != 0) {
			snprintf(err, errlen, "--ipfix: too many elements for one template");
			return -1;
		}
		size_t need = MESSAGE_HEADER + SET_HEADER + layout[v].wire_max;
		size_t s = 8 + ((layout[v].record_len + 7) & ~(size_t)7) + layout[v].strings * AFM_IPFIX_STRING_MAX;

		if (!o->dest.tcp && need > o->mtu) {
			snprintf(err, errlen, "--ipfix-mtu %u is too small for this schema: one record takes up to %zu "
				 "bytes in its message", o->mtu, need);
			return -1;
		}
		if (s > *slot_size)
			*slot_size = s;
	}
	return 0;
}

int afm_ipfix_check(const struct afm_ipfix_options *o, char *err, size_t errlen)
{
	struct afm_ipfix_layout *l = malloc(2 * sizeof(*l));
	size_t slot_size;
	int e;

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e = make_layouts(l, &slot_size, o, err, errlen);
	free(l);
	return e;
}

int afm_ipfix_open(struct afm_ipfix *x, const struct afm_ipfix_options *o, char *err, size_t errlen)
{
	pthread_condattr_t ca;

	memset(x, 0, sizeof(*x));
	x->opt = *o;
	x->conn.fd = -1;
	x->conn.tcp = o->dest.tcp;
	if (make_layouts(x->layout, &x->slot_size, o, err, errlen) != 0)
		return -1;
	x->slots = calloc(o->queue, x->slot_size);	if (!x->slots) {
		snprintf(err, errlen, "IPFIX: no memory for a queue of %zu records", o->queue);
		return -1;
	}
	if (build_fixbuf(x, err, errlen) != 0) {
		free_fixbuf(x->fb);
		free(x->slots);
		return -1;
	}
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->work, &ca);
	pthread_cond_init(&x->room, &ca);
	pthread_condattr_destroy(&ca);
	set_progress(x);
	maybe_connect(x);	/* now: a run over captures fills the queue at once */
	if (pthread_create(&x->thread, NULL, exporter, x) != 0) {
		snprintf(err, errlen, "IPFIX: cannot start the exporter thread");
		free_fixbuf(x->fb);
		free(x->slots);
		return -1;
	}
	x->started = 1;
	return 0;
}
