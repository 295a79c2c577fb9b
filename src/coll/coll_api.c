/*
 * src/coll/coll_api.c - the public collectives functions, collective
 * contexts, the op that runs a collective on the COLLECTIVES unit, the
 * flight recorder and the settings.
 *
 * nrta_cc_prepare validates everything and returns a context (an object of
 * the object model, holding references to the tensors' storage);
 * nrta_cc_schedule moves it into an op on COLLECTIVES queue 0 of comm->vnc
 * and sets *cc_ctx to NULL; the op releases it after it ran. nrt_barrier and
 * nrt_all_gather build the same op on host memory and wait for it.
 */
#include <stdlib.h>
#include <string.h>

#include "coll/coll.h"
#include "core/core.h"
#include "core/params.h"
#include "tensor/tensor.h"
#include "xu/xu.h"

nrt__cc_cfg_t nrt__cc_cfg;

struct nrt_cc_context {
    nrt__obj_t obj;
    uint32_t vnc, rank;
    nrt__cc_desc_t d;
    size_t esize;
    uint32_t *gids;
    nrt__cc_iov_t in, out;
    uint32_t nst;
    nrt__storage_t *st[2 * NRT__CC_MAX_IOV];
    nrt__cc_run_t run; /* while it runs */
};

static void ctx_destroy(nrt__obj_t *o)
{
    nrt_cc_context_t *c = (nrt_cc_context_t *)o;
    for (uint32_t i = 0; i < c->nst; i++)
        nrt__storage_release(c->st[i]);
    c->nst = 0;
    free(c->gids);
    c->gids = NULL;
}

static const nrt__obj_type_t ctx_type = {
    .kind = NRT__OBJ_CC_CTX,
    .name = "collective context",
    .released_as = "scheduled (a context is consumed by nrta_cc_schedule)",
    .size = sizeof(nrt_cc_context_t),
    .destroy = ctx_destroy,
};

/*===------------------------------------------------------------------===*/
/* Settings                                                               */
/*===------------------------------------------------------------------===*/

static bool parse_rules(nrt_cc_op_type_t op, const char *name)
{
    const char *v = getenv(name);
    nrt__cc_cfg.nrules[op] = 0;
    if (!v || !*v || !strcmp(v, "auto"))
        return true;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        struct nrt__cc_rule rule = {.lo = 0, .hi = UINT64_MAX};
        char *colon = strchr(tok, ':');
        if (colon)
            *colon = 0;
        if (!strcmp(tok, "direct"))
            rule.algo = NRT__CC_ALGO_DIRECT;
        else if (!strcmp(tok, "ring"))
            rule.algo = NRT__CC_ALGO_RING;
        else
            goto bad;
        if (colon) {
            char *dash = strchr(colon + 1, '-');
            if (!dash)
                goto bad;
            *dash = 0;
            if (!nrt__parse_size(colon + 1, &rule.lo))
                goto bad;
            if (strcmp(dash + 1, "max") && !nrt__parse_size(dash + 1, &rule.hi))
                goto bad;
            if (rule.hi < rule.lo)
                goto bad;
        }
        if (nrt__cc_cfg.nrules[op] == 4)
            goto bad;
        nrt__cc_cfg.rules[op][nrt__cc_cfg.nrules[op]++] = rule;
    }
    return true;
bad:
    LOG_ERROR("%s=%s is not a list of <algorithm>[:<min>-<max>|max] separated by ';' with algorithms direct, ring "
              "(at most 4), e.g. direct:0-65536;ring:65537-max",
              name, v);
    return false;
}

NRT_STATUS nrt__cc_read_cfg(void)
{
    uint64_t v;
    bool ok = nrt__param_read_u64(NRT__P_OPENNRT_CC_WARN_MS, &v);
    nrt__cc_cfg.warn_ns = v * 1000000ull;
    const char *root = getenv("NEURON_RT_ROOT_COMM_ID");
    snprintf(nrt__cc_cfg.root, sizeof nrt__cc_cfg.root, "%s",
             root && *root ? root : nrt__params[NRT__P_NEURON_RT_ROOT_COMM_ID].def);
    if (root && *root && !nrt__cc_root_spec_ok(root)) {
        LOG_ERROR("NEURON_RT_ROOT_COMM_ID=%s is not one of <ipv4>:<port>, [<ipv6>]:<port>, <hostname>:<port> (a "
                  "port from 1 to 65535; a host name that resolves)",
                  root);
        ok = false;
    }
    const char *t = getenv("OPENNRT_CC_TRANSPORT");
    nrt__cc_cfg.shm = false;
    if (t && *t && strcmp(t, "tcp")) {
        if (!strcmp(t, "shm")) {
            nrt__cc_cfg.shm = true;
        } else {
            LOG_ERROR("OPENNRT_CC_TRANSPORT=%s is not one of tcp, shm", t);
            ok = false;
        }
    }
    ok &= parse_rules(NRT_CC_ALLREDUCE, "OPENNRT_CC_ALLREDUCE");
    ok &= parse_rules(NRT_CC_ALLGATHER, "OPENNRT_CC_ALLGATHER");
    ok &= parse_rules(NRT_CC_REDUCESCATTER, "OPENNRT_CC_REDUCESCATTER");
    return ok ? NRT_SUCCESS : NRT_INVALID;
}

/* The algorithm for |bytes| of |cc_op| (bytes: the larger buffer). */
static nrt__cc_algo_t pick_algo(nrt_cc_op_type_t cc_op, uint64_t bytes, bool all_local)
{
    nrt__cc_algo_t a = all_local ? NRT__CC_ALGO_DIRECT : NRT__CC_ALGO_RING;
    for (uint32_t i = 0; i < nrt__cc_cfg.nrules[cc_op]; i++) {
        const struct nrt__cc_rule *r = &nrt__cc_cfg.rules[cc_op][i];
        if (bytes >= r->lo && bytes <= r->hi) {
            a = r->algo;
            break;
        }
    }
    return a == NRT__CC_ALGO_DIRECT && !all_local ? NRT__CC_ALGO_RING : a;
}

/*===------------------------------------------------------------------===*/
/* Flight recorder                                                        */
/*===------------------------------------------------------------------===*/

static struct nrt__cc_flight *flight_begin(nrt__cc_run_t *run, const char *algo)
{
    nrt__cc_member_t *m = run->m;
    struct nrt__cc_flight *f = &m->flight[m->nflight++ % NRT__CC_FLIGHT];
    *f = (struct nrt__cc_flight){.seq = run->seq,
                                 .bytes = run->d.in_bytes > run->d.out_bytes ? run->d.in_bytes : run->d.out_bytes,
                                 .t_start = nrt__now_ns(),
                                 .cc_op = run->d.cc_op,
                                 .dtype = run->d.dtype,
                                 .rank_n = run->d.rank_n,
                                 .rank = run->rank,
                                 .group_hash = run->d.group_hash,
                                 .algo = algo,
                                 .state = 1};
    return f;
}

static void flight_dump(nrt__cc_member_t *m)
{
    char world[400];
    nrt__cc_world_describe(world, sizeof world);
    LOG_ERROR("collectives flight recorder of core %u (global id %u), OpenNRT %s: %s; settings: "
              "NEURON_RT_ROOT_COMM_ID=%s OPENNRT_CC_TRANSPORT=%s OPENNRT_CC_ALLREDUCE=%s OPENNRT_CC_ALLGATHER=%s "
              "OPENNRT_CC_REDUCESCATTER=%s exec timeout %llu ms",
              m->vnc, m->gid, NRTX_VERSION_STRING, world, nrt__cc_cfg.root, nrt__cc_cfg.shm ? "shm" : "tcp",
              getenv("OPENNRT_CC_ALLREDUCE") ? getenv("OPENNRT_CC_ALLREDUCE") : "auto",
              getenv("OPENNRT_CC_ALLGATHER") ? getenv("OPENNRT_CC_ALLGATHER") : "auto",
              getenv("OPENNRT_CC_REDUCESCATTER") ? getenv("OPENNRT_CC_REDUCESCATTER") : "auto",
              (unsigned long long)(nrt__rt.exec_timeout_ns / 1000000));
    uint64_t n = m->nflight < NRT__CC_FLIGHT ? m->nflight : NRT__CC_FLIGHT;
    for (uint64_t i = m->nflight - n; i < m->nflight; i++) {
        const struct nrt__cc_flight *f = &m->flight[i % NRT__CC_FLIGHT];
        uint64_t end = f->state == 2 ? f->t_end : nrt__now_ns();
        LOG_ERROR("  #%llu %s %s %llu B rank %u of %u group %016llx via %s: %s after %.3f ms",
                  (unsigned long long)f->seq, nrt__cc_ccop_name(f->cc_op), nrt__cc_dtype_name(f->dtype),
                  (unsigned long long)f->bytes, f->rank, f->rank_n, (unsigned long long)f->group_hash, f->algo,
                  f->state == 2 ? nrt_get_status_as_str(f->status) : "running", (double)(end - f->t_start) / 1e6);
    }
}

/*===------------------------------------------------------------------===*/
/* The op                                                                 */
/*===------------------------------------------------------------------===*/

typedef struct cc_payload {
    nrt_cc_context_t *ctx; /* the op's reference */
} cc_payload_t;
NRT__OP_PAYLOAD_FITS(cc_payload_t);

static NRT_STATUS run_ctx(nrt_cc_context_t *c, nrt__queue_t *q, uint64_t pos)
{
    nrt__cc_member_t *m = nrt__cc_member(c->vnc);
    c->run = (nrt__cc_run_t){.m = m, .rank = c->rank, .d = c->d, .in = &c->in, .out = &c->out, .esize = c->esize,
                             .q = q, .pos = pos};
    nrt__cc_run_t *run = &c->run;
    if (c->d.rank_n == 1 || !m) {
        /* A group of one (prepare allows it without a join). */
        uint64_t len = c->d.out_bytes < c->d.in_bytes ? c->d.out_bytes : c->d.in_bytes;
        for (uint64_t off = 0; off < len;) {
            uint64_t k;
            char *s = nrt__cc_iov_at(&c->in, off, &k);
            if (!s)
                break;
            if (k > len - off)
                k = len - off;
            nrt__cc_iov_scatter(&c->out, off, s, k);
            off += k;
        }
        return NRT_SUCCESS;
    }
    NRT_STATUS st = nrt__cc_world_wait(run);
    if (st != NRT_SUCCESS) {
        if (st != NRT_TIMEOUT)
            flight_dump(m);
        return st;
    }
    run->g = nrt__cc_group_get(c->gids, c->d.rank_n, c->d.group_hash);
    if (!run->g) {
        LOG_ERROR("core %u: out of memory for a collectives group", c->vnc);
        return NRT_RESOURCE;
    }
    run->seq = atomic_fetch_add_explicit(&run->g->next_seq[c->rank], 1, memory_order_relaxed);
    uint64_t bytes = c->d.in_bytes > c->d.out_bytes ? c->d.in_bytes : c->d.out_bytes;
    nrt__cc_algo_t algo = pick_algo((nrt_cc_op_type_t)c->d.cc_op, bytes, run->g->all_local);
    run->flight = flight_begin(run, algo == NRT__CC_ALGO_DIRECT ? "direct" : "ring");
    st = algo == NRT__CC_ALGO_DIRECT ? nrt__cc_direct(run) : nrt__cc_ring(run);
    if (st == NRT__OP_PENDING)
        return st; /* nothing of |run| may be touched: another thread completes it */
    nrt__cc_flight_end(run, st);
    return st;
}

void nrt__cc_flight_end(nrt__cc_run_t *run, NRT_STATUS st)
{
    struct nrt__cc_flight *f = run->flight;
    f->status = st;
    f->t_end = nrt__now_ns();
    f->state = 2;
    if (st != NRT_SUCCESS)
        flight_dump(run->m);
}

static NRT_STATUS run_cc(nrt__op_t *op, nrt__queue_t *q, uint64_t pos)
{
    nrt_cc_context_t *c = NRT__OP_PAYLOAD_OF(op, cc_payload_t)->ctx;
    NRT_STATUS st = run_ctx(c, q, pos);
    if (st == NRT__OP_PENDING)
        return st;
    /* A member gone or a transport failure leaves the unit unusable: its
     * endpoint is closed (see coll_ring.c). The exec timeout degrades it
     * in the queue. A mismatch or a bad size does not. */
    if (st == NRT_EXEC_HW_ERR_COLLECTIVES)
        nrt__queue_degrade(q, st, pos + 1);
    return st;
}

static void release_cc(nrt__op_t *op)
{
    nrt__obj_release(NRT__OP_PAYLOAD_OF(op, cc_payload_t)->ctx);
}

static const nrt__op_vtbl_t cc_vtbls[3] = {
    [NRT_CC_ALLGATHER] = {"all-gather", run_cc, release_cc, true, sizeof(cc_payload_t)},
    [NRT_CC_ALLREDUCE] = {"all-reduce", run_cc, release_cc, true, sizeof(cc_payload_t)},
    [NRT_CC_REDUCESCATTER] = {"reduce-scatter", run_cc, release_cc, true, sizeof(cc_payload_t)},
};

/*===------------------------------------------------------------------===*/
/* Validation                                                             */
/*===------------------------------------------------------------------===*/

static uint64_t group_hash(const uint32_t *gids, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (uint32_t i = 0; i < n; i++) {
        h ^= gids[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static NRT_STATUS check_list(nrt_cc_context_t *c, nrt_tensor_list_t *list, nrt__cc_iov_t *iov, const char *which,
                             const char *func)
{
    if (!list->tensors && list->num_tensors) {
        LOG_ERROR("%s: %s->tensors is NULL with num_tensors %zu", func, which, list->num_tensors);
        return NRT_INVALID;
    }
    if (list->num_tensors == 0 || list->num_tensors > NRT__CC_MAX_IOV) {
        LOG_ERROR("%s: %s->num_tensors is %zu; from 1 to %d tensors", func, which, list->num_tensors,
                  NRT__CC_MAX_IOV);
        return NRT_INVALID;
    }
    iov->n = 0;
    iov->total = 0;
    for (size_t i = 0; i < list->num_tensors; i++) {
        nrt_tensor_t *t = list->tensors[i];
        if (!t) {
            LOG_ERROR("%s: %s->tensors[%zu] is NULL", func, which, i);
            return NRT_INVALID;
        }
        if (!nrt__tensor_check(t, func))
            return NRT_INVALID;
        if (!t->st) {
            LOG_ERROR("%s: %s->tensors[%zu] ('%s') has no storage (a virtual tensor never attached)", func, which, i,
                      t->name);
            return NRT_INVALID;
        }
        if (t->placement == NRT_TENSOR_PLACEMENT_DEVICE && t->core >= 0 && (uint32_t)t->core != c->vnc) {
            LOG_ERROR("%s: %s->tensors[%zu] ('%s') lives on core %d; the collective runs on core %u (comm->vnc)",
                      func, which, i, t->name, t->core, c->vnc);
            return NRT_INVALID;
        }
        if (t->size % c->esize) {
            LOG_ERROR("%s: %s->tensors[%zu] ('%s') has %zu bytes, not a whole number of %s elements (%zu bytes)",
                      func, which, i, t->name, t->size, nrt__cc_dtype_name(c->d.dtype), c->esize);
            return NRT_INVALID;
        }
        if (t->size) {
            iov->v[iov->n].p = nrt__tensor_data(t);
            iov->v[iov->n].len = t->size;
            iov->n++;
        }
        iov->total += t->size;
        nrt__storage_retain(t->st);
        c->st[c->nst++] = t->st;
    }
    return NRT_SUCCESS;
}

/* Checks comm, dtype, op, cc_op; fills the context's descriptor. */
static NRT_STATUS check_comm(nrt_cc_context_t *c, const nrt_cc_comm_t *comm, nrt_dtype_t dtype, nrt_op_type_t op,
                             nrt_cc_op_type_t cc_op, const char *func)
{
    if (!nrt__core_check((int64_t)comm->vnc, func))
        return NRT_INVALID;
    if ((unsigned)cc_op > NRT_CC_REDUCESCATTER) {
        LOG_ERROR("%s: cc_op %d is not NRT_CC_ALLGATHER, NRT_CC_ALLREDUCE or NRT_CC_REDUCESCATTER", func, (int)cc_op);
        return NRT_INVALID;
    }
    c->esize = nrt__cc_dtype_size(dtype);
    if (!c->esize) {
        LOG_ERROR("%s: dtype %s (%d) is not supported by collectives (integers, fp32, fp16, bf16; fp8 is refused)",
                  func, nrt__cc_dtype_name(dtype), (int)dtype);
        return NRT_INVALID;
    }
    if (cc_op != NRT_CC_ALLGATHER && op != NRT_OP_ADD && op != NRT_OP_MAX && op != NRT_OP_MIN) {
        LOG_ERROR("%s: op %s (%d) is not a reduction collectives support (NRT_OP_ADD, NRT_OP_MAX, NRT_OP_MIN)", func,
                  nrt__cc_op_name(op), (int)op);
        return NRT_INVALID;
    }
    if (comm->rank_n == 0 || comm->rank_n > NRT__CC_MAX_WORLD) {
        LOG_ERROR("%s: comm->rank_n is %u; from 1 to %d", func, comm->rank_n, NRT__CC_MAX_WORLD);
        return NRT_INVALID;
    }
    if (!comm->replica_group) {
        LOG_ERROR("%s: comm->replica_group is NULL", func);
        return NRT_INVALID;
    }
    if (comm->rank >= comm->rank_n) {
        LOG_ERROR("%s: comm->rank %u is not below comm->rank_n %u", func, comm->rank, comm->rank_n);
        return NRT_INVALID;
    }
    if (comm->ctx_device_count == 0 || comm->ctx_device_id >= comm->ctx_device_count) {
        LOG_ERROR("%s: comm->ctx_device_id %u is not below comm->ctx_device_count %u", func, comm->ctx_device_id,
                  comm->ctx_device_count);
        return NRT_INVALID;
    }
    if (comm->replica_group[comm->rank] != comm->ctx_device_id) {
        LOG_ERROR("%s: comm->replica_group[comm->rank = %u] is %u, not comm->ctx_device_id %u", func, comm->rank,
                  comm->replica_group[comm->rank], comm->ctx_device_id);
        return NRT_INVALID;
    }
    for (uint32_t i = 0; i < comm->rank_n; i++) {
        if (comm->replica_group[i] >= comm->ctx_device_count) {
            LOG_ERROR("%s: comm->replica_group[%u] is %u, not below comm->ctx_device_count %u", func, i,
                      comm->replica_group[i], comm->ctx_device_count);
            return NRT_INVALID;
        }
        for (uint32_t j = 0; j < i; j++)
            if (comm->replica_group[j] == comm->replica_group[i]) {
                LOG_ERROR("%s: comm->replica_group lists global id %u twice (entries %u and %u)", func,
                          comm->replica_group[i], j, i);
                return NRT_INVALID;
            }
    }
    if (comm->rank_n > 1) {
        nrt__cc_member_t *m = nrt__cc_member(comm->vnc);
        uint32_t world = nrt__cc_world_size();
        if (!m) {
            LOG_ERROR("%s: core %u (comm->vnc) has not joined a collectives world: call nrt_cc_global_comm_init "
                      "first", func, comm->vnc);
            return NRT_INVALID;
        }
        if (m->gid != comm->ctx_device_id) {
            LOG_ERROR("%s: comm->ctx_device_id is %u but core %u joined as global id %u", func, comm->ctx_device_id,
                      comm->vnc, m->gid);
            return NRT_INVALID;
        }
        if (world != comm->ctx_device_count) {
            LOG_ERROR("%s: comm->ctx_device_count is %u but the world core %u joined has %u members", func,
                      comm->ctx_device_count, comm->vnc, world);
            return NRT_INVALID;
        }
    }
    c->vnc = comm->vnc;
    c->rank = comm->rank;
    c->gids = malloc(comm->rank_n * sizeof *c->gids);
    if (!c->gids)
        return NRT_RESOURCE;
    memcpy(c->gids, comm->replica_group, comm->rank_n * sizeof *c->gids);
    c->d = (nrt__cc_desc_t){.cc_op = cc_op,
                            .dtype = (uint32_t)dtype,
                            .op = cc_op == NRT_CC_ALLGATHER ? 0 : (uint32_t)op,
                            .rank_n = comm->rank_n,
                            .group_hash = group_hash(comm->replica_group, comm->rank_n)};
    return NRT_SUCCESS;
}

static NRT_STATUS check_sizes(nrt_cc_context_t *c, const char *func)
{
    uint64_t in = c->in.total, out = c->out.total, n = c->d.rank_n;
    c->d.in_bytes = in;
    c->d.out_bytes = out;
    switch (c->d.cc_op) {
    case NRT_CC_ALLREDUCE:
        if (in != out) {
            LOG_ERROR("%s: all-reduce needs as many output bytes as input bytes; input %llu, output %llu", func,
                      (unsigned long long)in, (unsigned long long)out);
            return NRT_INVALID;
        }
        break;
    case NRT_CC_ALLGATHER:
        if (out != in * n) {
            LOG_ERROR("%s: all-gather needs output = rank_n (%llu) x input bytes; input %llu, output %llu", func,
                      (unsigned long long)n, (unsigned long long)in, (unsigned long long)out);
            return NRT_INVALID;
        }
        break;
    default:
        if (in != out * n) {
            LOG_ERROR("%s: reduce-scatter needs input = rank_n (%llu) x output bytes; input %llu, output %llu", func,
                      (unsigned long long)n, (unsigned long long)in, (unsigned long long)out);
            return NRT_INVALID;
        }
        break;
    }
    return NRT_SUCCESS;
}

/* Same in both async API versions: one implementation, exported at both
 * version nodes (see NRT_EXPORT_AS in common/common.h). */
NRT_VERSIONED NRT_STATUS nrt__a_cc_prepare(nrt_cc_comm_t *comm, nrt_tensor_list_t *input, nrt_tensor_list_t *output,
                                          nrt_dtype_t dtype, nrt_op_type_t op, nrt_cc_op_type_t cc_op,
                                          nrt_cc_context_t **cc_ctx)
{
    static const char func[] = "nrta_cc_prepare";
    NRT_STATUS st = nrt__rt_check(func);
    if (st != NRT_SUCCESS)
        return st;
    const char *null_arg = !cc_ctx ? "cc_ctx" : !comm ? "comm" : !input ? "input" : !output ? "output" : NULL;
    if (cc_ctx)
        *cc_ctx = NULL;
    if (null_arg) {
        LOG_ERROR("%s: argument '%s' is NULL", func, null_arg);
        return NRT_INVALID;
    }
    nrt_cc_context_t *c = nrt__obj_create(&ctx_type);
    if (!c) {
        LOG_ERROR("%s: out of memory", func);
        return NRT_RESOURCE;
    }
    st = check_comm(c, comm, dtype, op, cc_op, func);
    if (st == NRT_SUCCESS)
        st = check_list(c, input, &c->in, "input", func);
    if (st == NRT_SUCCESS)
        st = check_list(c, output, &c->out, "output", func);
    if (st == NRT_SUCCESS)
        st = check_sizes(c, func);
    if (st != NRT_SUCCESS) {
        nrt__obj_user_release(c, func);
        return st;
    }
    *cc_ctx = c;
    return NRT_SUCCESS;
}
NRT_EXPORT_AS(nrt__a_cc_prepare, nrta_cc_prepare, "NRT_2.0.0")
NRT_EXPORT_DEFAULT_AS(nrt__a_cc_prepare, nrta_cc_prepare, "NRT_3.0.0")

static NRT_STATUS submit_ctx(nrt_cc_context_t *c, nrta_error_tracker_t *err, nrta_seq_t *seq, NRT_STATUS *sync,
                             bool *ran, const char *func)
{
    nrt__queue_t *q = &nrt__rt.cores[c->vnc].units[NRTA_XU_COLLECTIVES].queues[0];
    nrt__op_t op = {.vtbl = &cc_vtbls[c->d.cc_op], .tracker = err, .sync_status = sync,
                    .size = c->d.in_bytes > c->d.out_bytes ? c->d.in_bytes : c->d.out_bytes};
    NRT__OP_PAYLOAD_OF(&op, cc_payload_t)->ctx = c;
    nrt__obj_retain(c);
    if (err)
        nrt__tracker_retain(err);
    if (NRT__UNLIKELY(atomic_load_explicit(&nrt__trace_on, memory_order_relaxed)))
        op.enq_ns = nrt__now_ns();
    NRT_STATUS st = ran ? nrt__queue_submit_inline(q, &op, seq, ran) : nrt__queue_submit(q, &op, seq);
    if (st != NRT_SUCCESS) {
        nrt__op_release(&op);
        if (st == NRT_EXEC_UNIT_UNRECOVERABLE)
            LOG_ERROR("%s: core %u unit COLLECTIVES is degraded", func, c->vnc);
    }
    return st;
}

/* 2.28: errors to tracker |err| (of the context's core); 3.0: the status
 * to |ret| at completion. */
static NRT_STATUS cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err, NRT_STATUS *ret,
                              nrta_seq_t *req_sequence)
{
    static const char func[] = "nrta_cc_schedule";
    NRT_STATUS st = nrt__rt_check(func);
    if (st != NRT_SUCCESS)
        return st;
    if (!cc_ctx || !req_sequence) {
        LOG_ERROR("%s: argument '%s' is NULL", func, !cc_ctx ? "cc_ctx" : "req_sequence");
        return NRT_INVALID;
    }
    nrt_cc_context_t *c = *cc_ctx;
    if (!nrt__obj_check(c, &ctx_type, func))
        return NRT_INVALID;
    CHECK_ARG(queue == 0, NRT_INVALID, "%s: queue %d does not exist on unit COLLECTIVES (only 0)", func, queue);
    if (err) {
        if (!nrt__tracker_check(err, func))
            return NRT_INVALID;
        if (nrt__tracker_core(err) != c->vnc) {
            LOG_ERROR("%s: error tracker belongs to core %u, the collective runs on core %u", func,
                      nrt__tracker_core(err), c->vnc);
            return NRT_INVALID;
        }
    }
    st = submit_ctx(c, err, req_sequence, ret, NULL, func);
    if (st != NRT_SUCCESS)
        return st; /* *cc_ctx stays valid */
    nrt__obj_user_release(c, func); /* the op holds it now */
    *cc_ctx = NULL;
    return NRT_SUCCESS;
}

NRT_VERSIONED NRT_STATUS nrt__a2_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, nrta_error_tracker_t *err,
                                            nrta_seq_t *req_sequence)
{
    return cc_schedule(cc_ctx, queue, err, NULL, req_sequence);
}
NRT_EXPORT_AS(nrt__a2_cc_schedule, nrta_cc_schedule, "NRT_2.0.0")

NRT_VERSIONED NRT_STATUS nrt__a3_cc_schedule(nrt_cc_context_t **cc_ctx, int queue, NRT_STATUS *exec_ret,
                                            nrta_seq_t *req_sequence)
{
    return cc_schedule(cc_ctx, queue, NULL, exec_ret, req_sequence);
}
NRT_EXPORT_DEFAULT_AS(nrt__a3_cc_schedule, nrta_cc_schedule, "NRT_3.0.0")

/*===------------------------------------------------------------------===*/
/* Joining, and the synchronous helpers                                   */
/*===------------------------------------------------------------------===*/

static NRT_STATUS join(int64_t vnc, uint32_t g_device_id, uint32_t g_device_count, const char *func)
{
    NRT_STATUS st = nrt__rt_check(func);
    if (st != NRT_SUCCESS)
        return st;
    if (!nrt__core_check(vnc, func))
        return NRT_INVALID;
    if (g_device_count == 0 || g_device_id >= g_device_count) {
        LOG_ERROR("%s: g_device_id %u is not below g_device_count %u", func, g_device_id, g_device_count);
        return NRT_INVALID;
    }
    if (g_device_count == 1)
        return NRT_SUCCESS; /* a world of one needs nothing: groups of one just copy */
    return nrt__cc_join((uint32_t)vnc, g_device_id, g_device_count, func);
}

NRT_API NRT_STATUS nrt_cc_global_comm_init(uint32_t vnc, uint32_t g_device_id, uint32_t g_device_count)
{
    return join(vnc, g_device_id, g_device_count, __func__);
}

NRT_API NRT_STATUS nrt_build_global_comm(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count)
{
    return join(vnc, g_device_id, g_device_count, __func__);
}

/* Runs a whole-world collective on host memory and waits for it. */
static NRT_STATUS sync_collective(int32_t vnc, uint32_t gid, uint32_t count, nrt_cc_op_type_t cc_op, void *in,
                                  void *out, uint64_t in_bytes, const char *func)
{
    NRT_STATUS st = nrt__cc_join((uint32_t)vnc, gid, count, func);
    if (st != NRT_SUCCESS)
        return st;
    nrt_cc_context_t *c = nrt__obj_create(&ctx_type);
    if (!c)
        return NRT_RESOURCE;
    c->vnc = (uint32_t)vnc;
    c->rank = gid;
    c->esize = 1;
    c->gids = malloc(count * sizeof *c->gids);
    if (!c->gids) {
        nrt__obj_user_release(c, func);
        return NRT_RESOURCE;
    }
    for (uint32_t i = 0; i < count; i++)
        c->gids[i] = i;
    uint64_t out_bytes = cc_op == NRT_CC_ALLGATHER ? in_bytes * count : in_bytes;
    c->d = (nrt__cc_desc_t){.cc_op = cc_op, .dtype = NRT_DTYPE_UINT8, .op = 0, .rank_n = count,
                            .in_bytes = in_bytes, .out_bytes = out_bytes, .group_hash = group_hash(c->gids, count)};
    if (in_bytes) {
        c->in = (nrt__cc_iov_t){.n = 1, .total = in_bytes};
        c->in.v[0].p = in;
        c->in.v[0].len = in_bytes;
        c->out = (nrt__cc_iov_t){.n = 1, .total = out_bytes};
        c->out.v[0].p = out;
        c->out.v[0].len = out_bytes;
    }
    nrt__queue_t *q = &nrt__rt.cores[vnc].units[NRTA_XU_COLLECTIVES].queues[0];
    NRT_STATUS result = NRT_FAILURE;
    nrta_seq_t seq;
    bool ran = false;
    for (;;) {
        st = submit_ctx(c, NULL, &seq, &result, &ran, func);
        if (st != NRT_QUEUE_FULL)
            break;
        uint64_t next = atomic_load_explicit(&q->completed, memory_order_acquire) + 1;
        if (next <= nrt__ring_tail(&q->ring))
            nrt__queue_wait(q, next);
    }
    nrt__obj_user_release(c, func);
    if (st != NRT_SUCCESS)
        return st;
    if (!ran)
        nrt__queue_wait(q, NRTA_SEQ_GET_SEQ_NUM(seq));
    if (result != NRT_SUCCESS)
        LOG_ERROR("%s: core %d (global id %u of %u) failed with %s", func, vnc, gid, count,
                  nrt_get_status_as_str(result));
    return result;
}

NRT_API NRT_STATUS nrt_barrier(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_ARG(g_device_count > 0 && g_device_id < g_device_count, NRT_INVALID,
              "g_device_id %u is not below g_device_count %u", g_device_id, g_device_count);
    if (g_device_count == 1)
        return NRT_SUCCESS; /* a barrier of one */
    return sync_collective(vnc, g_device_id, g_device_count, NRT_CC_ALLREDUCE, NULL, NULL, 0, __func__);
}

NRT_API NRT_STATUS nrt_all_gather(int32_t vnc, uint32_t g_device_id, uint32_t g_device_count,
                                  uint32_t rank_input_size, void *input, void *output)
{
    CHECK_RUNNING();
    CHECK_CORE(vnc);
    CHECK_NOT_NULL(input);
    CHECK_NOT_NULL(output);
    CHECK_ARG(g_device_count > 0 && g_device_id < g_device_count, NRT_INVALID,
              "g_device_id %u is not below g_device_count %u", g_device_id, g_device_count);
    if (g_device_count == 1) {
        memmove(output, input, rank_input_size);
        return NRT_SUCCESS;
    }
    return sync_collective(vnc, g_device_id, g_device_count, NRT_CC_ALLGATHER, input, output, rank_input_size,
                           __func__);
}

void nrt__cc_shutdown(void)
{
    nrt__cc_direct_shutdown();
    nrt__obj_close_all(NRT__OBJ_CC_CTX);
    nrt__cc_close_all();
}
