/*
 * tests/unit/test_ring.c - the bounded multi-producer ring of
 * src/common/ring.h, single-threaded against its contract (init, full ring,
 * peek before and after publish, out-of-order free, many laps, the 64-bit
 * position counter wrapping), then 4 producers and one consumer checking
 * that every item arrives exactly once and in each producer's order.
 *
 * Every wait loop is bounded by a deadline: a lost item or a stuck slot
 * fails with the state printed instead of hanging until the CTest timeout.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>

#include "common/ring.h"

/* Generous, so a loaded sanitizer run is not mistaken for a hang, and
 * still well inside the CTest TIMEOUT of 60 s. */
#define T_DEADLINE_NS (40ull * 1000000000ull)

/* An item of the threaded test: who sent it, its number in that sender's
 * sequence, and a check word so a torn or stale payload is caught. */
typedef struct t_item {
    uint32_t producer;
    uint32_t pad;
    uint64_t counter;
    uint64_t check;
} t_item_t;

static uint64_t t_check_word(uint32_t producer, uint64_t counter)
{
    return (counter * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)producer << 56) ^ 0x5bd1e995ull;
}

/*===------------------------------------------------------------------===*/
/* Single-threaded contract                                               */
/*===------------------------------------------------------------------===*/

/* Layout for several depths and payload sizes: fresh slots are free for
 * their own position, payloads are 16-aligned, do not overlap and are
 * writable end to end (ASan checks the last byte of the last slot). */
static void test_init(void)
{
    static const uint64_t depths[] = {2, 4, 64, 1024};
    static const size_t payloads[] = {1, 16, 17, 24, 100};
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
        for (size_t p = 0; p < sizeof payloads / sizeof payloads[0]; p++) {
            uint64_t depth = depths[d];
            size_t size = payloads[p];
            nrt__ring_t r;
            ASSERT_TRUE(nrt__ring_init(&r, depth, size));
            ASSERT_EQ_U64(r.depth, depth);
            ASSERT_EQ_U64(r.mask, depth - 1);
            ASSERT_TRUE(r.stride >= NRT__RING_HDR + size);
            ASSERT_EQ_U64(r.stride % 16, 0);
            ASSERT_EQ_U64(nrt__ring_tail(&r), 0);
            ASSERT_EQ_U64((uintptr_t)&r.tail % NRT__RING_CACHELINE, 0);
            ASSERT_EQ_U64((uintptr_t)r.slots % NRT__RING_CACHELINE, 0);
            /* The producer index has its cache line to itself. */
            ASSERT_TRUE((uintptr_t)&r.slots - (uintptr_t)&r.tail >= NRT__RING_CACHELINE);
            for (uint64_t i = 0; i < depth; i++) {
                unsigned char *pl = nrt__ring_payload(&r, i);
                ASSERT_EQ_U64((uintptr_t)pl % 16, 0);
                ASSERT_EQ_U64(atomic_load(nrt__ring_seq(&r, i)), i);
                ASSERT_TRUE(nrt__ring_peek(&r, i) == NULL);
                ASSERT_TRUE(!nrt__ring_ready_sc(&r, i));
                memset(pl, (int)(i & 0xff), size);
            }
            /* The fills above did not run into a neighbour's header or
             * payload. */
            for (uint64_t i = 0; i < depth; i++) {
                const unsigned char *pl = nrt__ring_payload(&r, i);
                ASSERT_EQ_U64(atomic_load(nrt__ring_seq(&r, i)), i);
                for (size_t b = 0; b < size; b++)
                    ASSERT_EQ_U64(pl[b], i & 0xff);
            }
            /* Position depth + i maps back onto slot i. */
            ASSERT_TRUE(nrt__ring_payload(&r, depth + 3) == nrt__ring_payload(&r, 3 & (depth - 1)));
            nrt__ring_deinit(&r);
            ASSERT_TRUE(r.slots == NULL);
        }
    }
}

/* Reserving until full hands out 0..depth-1 in order; the next reserve
 * returns NULL and changes nothing (tail, slots, |out_pos|), whether the
 * slots are reserved, published or consumed but not yet freed. */
static void test_full(uint64_t depth)
{
    nrt__ring_t r;
    ASSERT_TRUE(nrt__ring_init(&r, depth, sizeof(uint64_t)));
    for (uint64_t i = 0; i < depth; i++) {
        uint64_t pos = ~0ull;
        uint64_t *pl = nrt__ring_reserve(&r, &pos);
        ASSERT_TRUE(pl != NULL);
        ASSERT_EQ_U64(pos, i);
        ASSERT_EQ_U64(nrt__ring_tail(&r), i + 1);
        *pl = 1000 + i;
    }
    for (int round = 0; round < 3; round++) {
        uint64_t pos = 0xdeadbeefull;
        ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
        ASSERT_EQ_U64(pos, 0xdeadbeefull);
        ASSERT_EQ_U64(nrt__ring_tail(&r), depth);
        for (uint64_t i = 0; i < depth; i++)
            ASSERT_EQ_U64(atomic_load(nrt__ring_seq(&r, i)), round == 0 ? i : i + 1);
        if (round == 0) {
            /* Published but not freed: still full. */
            for (uint64_t i = 0; i < depth; i++)
                nrt__ring_publish(&r, i);
        } else if (round == 1) {
            /* Consumed but not freed: still full. */
            for (uint64_t i = 0; i < depth; i++) {
                uint64_t *pl = nrt__ring_peek(&r, i);
                ASSERT_TRUE(pl != NULL);
                ASSERT_EQ_U64(*pl, 1000 + i);
            }
        }
    }
    /* Freeing the oldest slot makes room for exactly one more position. */
    nrt__ring_free(&r, 0);
    uint64_t pos = ~0ull;
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) != NULL);
    ASSERT_EQ_U64(pos, depth);
    ASSERT_TRUE(nrt__ring_payload(&r, pos) == nrt__ring_payload(&r, 0));
    pos = 0xdeadbeefull;
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
    ASSERT_EQ_U64(pos, 0xdeadbeefull);
    ASSERT_EQ_U64(nrt__ring_tail(&r), depth + 1);
    nrt__ring_deinit(&r);
}

/* peek is NULL for a position not reserved yet, reserved but unpublished,
 * and for a freed one; after publish it returns the payload as written.
 * A published slot is not visible under the position one lap later. */
static void test_peek(void)
{
    nrt__ring_t r;
    ASSERT_TRUE(nrt__ring_init(&r, 4, sizeof(t_item_t)));
    ASSERT_TRUE(nrt__ring_peek(&r, 0) == NULL);
    uint64_t pos = ~0ull;
    t_item_t *it = nrt__ring_reserve(&r, &pos);
    ASSERT_TRUE(it != NULL);
    ASSERT_EQ_U64(pos, 0);
    it->producer = 7;
    it->counter = 42;
    it->check = t_check_word(7, 42);
    ASSERT_TRUE(nrt__ring_peek(&r, 0) == NULL);
    ASSERT_TRUE(!nrt__ring_ready_sc(&r, 0));
    nrt__ring_publish(&r, 0);
    t_item_t *got = nrt__ring_peek(&r, 0);
    ASSERT_TRUE(got == it);
    ASSERT_EQ_U64(got->producer, 7);
    ASSERT_EQ_U64(got->counter, 42);
    ASSERT_EQ_U64(got->check, t_check_word(7, 42));
    ASSERT_TRUE(nrt__ring_ready_sc(&r, 0));
    /* Peeking does not consume: the payload stays until freed. */
    ASSERT_TRUE(nrt__ring_peek(&r, 0) == it);
    /* Same slot, next lap: not published for that position. */
    ASSERT_TRUE(nrt__ring_peek(&r, 4) == NULL);
    ASSERT_TRUE(!nrt__ring_ready_sc(&r, 4));
    /* The neighbour was never reserved. */
    ASSERT_TRUE(nrt__ring_peek(&r, 1) == NULL);
    nrt__ring_free(&r, 0);
    ASSERT_TRUE(nrt__ring_peek(&r, 0) == NULL);
    ASSERT_TRUE(nrt__ring_peek(&r, 4) == NULL);
    ASSERT_TRUE(!nrt__ring_ready_sc(&r, 0));
    nrt__ring_deinit(&r);
}

/* Slots freed out of order: positions are still handed out in order, so
 * a late free of the oldest slot keeps the ring full until it happens,
 * and then every freed slot is reusable. Publication out of order is
 * visible per position. */
static void test_out_of_order(void)
{
    const uint64_t depth = 8;
    nrt__ring_t r;
    ASSERT_TRUE(nrt__ring_init(&r, depth, sizeof(uint64_t)));
    uint64_t pos;
    for (uint64_t i = 0; i < depth; i++) {
        uint64_t *pl = nrt__ring_reserve(&r, &pos);
        ASSERT_TRUE(pl != NULL);
        ASSERT_EQ_U64(pos, i);
        *pl = i * 3;
    }
    /* Publish in reverse: each becomes visible on its own. */
    for (uint64_t i = depth; i-- > 0;) {
        ASSERT_TRUE(nrt__ring_peek(&r, i) == NULL);
        nrt__ring_publish(&r, i);
        uint64_t *pl = nrt__ring_peek(&r, i);
        ASSERT_TRUE(pl != NULL);
        ASSERT_EQ_U64(*pl, i * 3);
        if (i > 0)
            ASSERT_TRUE(nrt__ring_peek(&r, i - 1) == NULL);
    }
    /* Free everything but the oldest, newest first: still full, because
     * the next position (depth) maps onto slot 0. */
    for (uint64_t i = depth; i-- > 1;) {
        nrt__ring_free(&r, i);
        ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
        ASSERT_EQ_U64(nrt__ring_tail(&r), depth);
    }
    /* The oldest one is still readable while the others are gone. */
    ASSERT_TRUE(nrt__ring_peek(&r, 0) != NULL);
    nrt__ring_free(&r, 0);
    /* Now the whole next lap is available, in order. */
    for (uint64_t i = 0; i < depth; i++) {
        ASSERT_TRUE(nrt__ring_reserve(&r, &pos) != NULL);
        ASSERT_EQ_U64(pos, depth + i);
    }
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
    /* A free in the middle of a lap does not let a producer skip ahead. */
    for (uint64_t i = depth; i < 2 * depth; i++)
        nrt__ring_publish(&r, i);
    nrt__ring_free(&r, depth + 5);
    nrt__ring_free(&r, depth + 2);
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
    nrt__ring_free(&r, depth + 0);
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) != NULL);
    ASSERT_EQ_U64(pos, 2 * depth);
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL); /* slot 1 not freed */
    nrt__ring_free(&r, depth + 1);
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) != NULL);
    ASSERT_EQ_U64(pos, 2 * depth + 1);
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) != NULL); /* slot 2 was freed early */
    ASSERT_EQ_U64(pos, 2 * depth + 2);
    ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL); /* slot 3 not freed */
    nrt__ring_deinit(&r);
}

/* Many laps with the ring kept at different fill levels (1, half, full)
 * and, on odd laps, each batch freed newest first. Every value read back
 * is the one written for that position. */
static void test_laps(uint64_t depth, uint64_t laps)
{
    nrt__ring_t r;
    ASSERT_TRUE(nrt__ring_init(&r, depth, sizeof(uint64_t) * 2));
    uint64_t head = 0, next = 0;
    uint64_t batches[] = {1, depth / 2, depth};
    for (uint64_t lap = 0; lap < laps; lap++) {
        uint64_t batch = batches[lap % 3];
        uint64_t pos;
        for (uint64_t i = 0; i < batch; i++) {
            uint64_t *pl = nrt__ring_reserve(&r, &pos);
            ASSERT_TRUE(pl != NULL);
            ASSERT_EQ_U64(pos, next);
            pl[0] = next;
            pl[1] = ~next;
            nrt__ring_publish(&r, pos);
            next++;
        }
        if (batch == depth)
            ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
        for (uint64_t i = 0; i < batch; i++) {
            uint64_t *pl = nrt__ring_peek(&r, head + i);
            ASSERT_TRUE(pl != NULL);
            ASSERT_EQ_U64(pl[0], head + i);
            ASSERT_EQ_U64(pl[1], ~(head + i));
        }
        for (uint64_t i = 0; i < batch; i++)
            nrt__ring_free(&r, (lap & 1) ? head + batch - 1 - i : head + i);
        head += batch;
        ASSERT_TRUE(nrt__ring_peek(&r, head) == NULL);
    }
    ASSERT_EQ_U64(nrt__ring_tail(&r), next);
    ASSERT_TRUE(next / depth >= laps / 3); /* went round the ring many times */
    nrt__ring_deinit(&r);
}

/* The position counter wrapping past 2^64 (white box: the ring is set up
 * as if UINT64_MAX - 5 positions had already gone through it). Reserve's
 * signed difference and peek's pos + 1 must both survive the wrap. */
static void test_counter_wrap(void)
{
    const uint64_t depth = 4, start = UINT64_MAX - 5;
    nrt__ring_t r;
    ASSERT_TRUE(nrt__ring_init(&r, depth, sizeof(uint64_t)));
    atomic_store(&r.tail, start);
    for (uint64_t i = 0; i < depth; i++)
        atomic_store(nrt__ring_seq(&r, start + i), start + i);
    uint64_t head = start;
    for (uint64_t n = 0; n < 6 * depth; n++) {
        uint64_t pos;
        uint64_t *pl = nrt__ring_reserve(&r, &pos);
        ASSERT_TRUE(pl != NULL);
        ASSERT_EQ_U64(pos, start + n);
        *pl = pos;
        if (n % depth == depth - 1)
            ASSERT_TRUE(nrt__ring_reserve(&r, &pos) == NULL);
        nrt__ring_publish(&r, start + n);
        if (n % depth == depth - 1) {
            for (; head != start + n + 1; head++) {
                uint64_t *got = nrt__ring_peek(&r, head);
                ASSERT_TRUE(got != NULL);
                ASSERT_EQ_U64(*got, head);
                nrt__ring_free(&r, head);
            }
        }
    }
    ASSERT_EQ_U64(nrt__ring_tail(&r), start + 6 * depth); /* wrapped to 18 */
    ASSERT_TRUE(nrt__ring_tail(&r) < depth * 6);
    nrt__ring_deinit(&r);
}

/*===------------------------------------------------------------------===*/
/* 4 producers, 1 consumer                                                */
/*===------------------------------------------------------------------===*/

#define MT_PRODUCERS 4
#define MT_ITEMS 250000u
#define MT_DEPTH 256

typedef struct mt_producer {
    nrt__ring_t *ring;
    uint32_t id;
    uint64_t deadline;
    _Atomic uint64_t *start; /* all producers go at once */
    uint64_t full_spins;     /* times the ring was full (diagnostics) */
    int failed;
} mt_producer_t;

static void *mt_produce(void *arg)
{
    mt_producer_t *p = arg;
    char name[16];
    snprintf(name, sizeof name, "ring-prod%u", p->id);
    pthread_setname_np(pthread_self(), name);
    /* Acquire: pairs with the main thread's release of |start|. */
    while (!atomic_load_explicit(p->start, memory_order_acquire))
        sched_yield();
    for (uint64_t c = 0; c < MT_ITEMS; c++) {
        uint64_t pos;
        t_item_t *it;
        uint64_t spins = 0;
        while ((it = nrt__ring_reserve(p->ring, &pos)) == NULL) {
            p->full_spins++;
            /* Yield: with more threads than cores a spinning producer
             * would take the consumer's time slice. */
            sched_yield();
            if ((++spins & 1023) == 0 && t_now_ns() > p->deadline) {
                fprintf(stderr, "producer %u: ring still full at item %llu (tail %llu)\n", p->id,
                        (unsigned long long)c, (unsigned long long)nrt__ring_tail(p->ring));
                p->failed = 1;
                return NULL;
            }
        }
        it->producer = p->id;
        it->pad = 0;
        it->counter = c;
        it->check = t_check_word(p->id, c);
        nrt__ring_publish(p->ring, pos);
    }
    return NULL;
}

/* The consumer frees most slots at once, but holds every 7th item back and
 * frees it a few items later (out of order), as a consumer whose request is
 * still in use elsewhere would. */
#define MT_HOLD 3

static void test_mt(void)
{
    nrt__ring_t ring;
    ASSERT_TRUE(nrt__ring_init(&ring, MT_DEPTH, sizeof(t_item_t)));
    _Atomic uint64_t start;
    atomic_init(&start, 0);
    uint64_t t0 = t_now_ns(), deadline = t0 + T_DEADLINE_NS;
    mt_producer_t prod[MT_PRODUCERS];
    pthread_t th[MT_PRODUCERS];
    for (uint32_t i = 0; i < MT_PRODUCERS; i++) {
        prod[i] = (mt_producer_t){.ring = &ring, .id = i, .deadline = deadline, .start = &start};
        ASSERT_EQ_U64(pthread_create(&th[i], NULL, mt_produce, &prod[i]), 0);
    }
    /* Release: the producers see the initialised ring (thread creation
     * already orders it; this only lines the producers up). */
    atomic_store_explicit(&start, 1, memory_order_release);

    uint64_t expect[MT_PRODUCERS] = {0};
    uint64_t held[MT_HOLD], nheld = 0, since_hold = 0;
    const uint64_t total = (uint64_t)MT_PRODUCERS * MT_ITEMS;
    uint64_t head = 0, empty_spins = 0, spins = 0;
    int interleaved = 0;
    uint32_t last_producer = UINT32_MAX;
    while (head < total) {
        t_item_t *it = nrt__ring_peek(&ring, head);
        if (!it) {
            empty_spins++;
            sched_yield();
            if ((++spins & 1023) == 0 && t_now_ns() > deadline) {
                fprintf(stderr, "consumer: stuck at position %llu of %llu (tail %llu); per producer:",
                        (unsigned long long)head, (unsigned long long)total,
                        (unsigned long long)nrt__ring_tail(&ring));
                for (int i = 0; i < MT_PRODUCERS; i++)
                    fprintf(stderr, " %llu", (unsigned long long)expect[i]);
                fprintf(stderr, "\n");
                abort();
            }
            continue;
        }
        if (it->producer >= MT_PRODUCERS) {
            fprintf(stderr, "position %llu: bad producer id %u\n", (unsigned long long)head, it->producer);
            abort();
        }
        /* Per-producer FIFO with no gap and no repeat: together with the
         * final count this is "every item exactly once, in order". */
        if (it->counter != expect[it->producer] || it->check != t_check_word(it->producer, it->counter)) {
            fprintf(stderr, "position %llu: producer %u sent item %llu (check %s), expected item %llu\n",
                    (unsigned long long)head, it->producer, (unsigned long long)it->counter,
                    it->check == t_check_word(it->producer, it->counter) ? "ok" : "BAD",
                    (unsigned long long)expect[it->producer]);
            abort();
        }
        expect[it->producer]++;
        if (last_producer != UINT32_MAX && it->producer != last_producer)
            interleaved++;
        last_producer = it->producer;
        /* Scribble over the payload before handing it back: a producer
         * that read or wrote it too early would show up under TSan, and a
         * stale item would fail the check word. */
        it->check = 0;
        it->counter = ~0ull;
        if (++since_hold >= 7 && nheld < MT_HOLD) {
            held[nheld++] = head;
            since_hold = 0;
        } else {
            nrt__ring_free(&ring, head);
            if (nheld == MT_HOLD) {
                /* Newest first. */
                while (nheld > 0)
                    nrt__ring_free(&ring, held[--nheld]);
            }
        }
        head++;
    }
    while (nheld > 0)
        nrt__ring_free(&ring, held[--nheld]);

    uint64_t full_spins = 0;
    for (int i = 0; i < MT_PRODUCERS; i++) {
        ASSERT_EQ_U64(pthread_join(th[i], NULL), 0);
        ASSERT_TRUE(!prod[i].failed);
        ASSERT_EQ_U64(expect[i], MT_ITEMS);
        full_spins += prod[i].full_spins;
    }
    /* Nothing extra was published after the last expected item. */
    ASSERT_EQ_U64(nrt__ring_tail(&ring), total);
    ASSERT_TRUE(nrt__ring_peek(&ring, total) == NULL);
    /* Every slot is free again: a whole lap can be reserved. */
    for (uint64_t i = 0; i < MT_DEPTH; i++) {
        uint64_t pos;
        ASSERT_TRUE(nrt__ring_reserve(&ring, &pos) != NULL);
        ASSERT_EQ_U64(pos, total + i);
    }
    uint64_t pos;
    ASSERT_TRUE(nrt__ring_reserve(&ring, &pos) == NULL);
    nrt__ring_deinit(&ring);
    printf("mt: %d x %u items in %.2f s, %d producer switches, %llu full / %llu empty spins\n", MT_PRODUCERS,
           MT_ITEMS, (double)(t_now_ns() - t0) / 1e9, interleaved, (unsigned long long)full_spins,
           (unsigned long long)empty_spins);
}

int main(void)
{
    test_init();
    test_full(2);
    test_full(8);
    test_full(1024);
    test_peek();
    test_out_of_order();
    test_laps(2, 3000);
    test_laps(16, 3000);
    test_laps(256, 300);
    test_counter_wrap();
    test_mt();
    printf("ring ok\n");
    return 0;
}
