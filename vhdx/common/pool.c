/* pool.c: hv_parallel_for (see hv_pool.h): a shared atomic cursor, so fast
 * and slow items balance themselves across threads. */
#include "hv_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

struct loop {
    size_t n;
    atomic_size_t next;
    void (*fn)(void *ctx, size_t i);
    void *ctx;
};

unsigned hv_cpu_count(unsigned max)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned cap = max && max < HV_POOL_MAX_THREADS ? max : HV_POOL_MAX_THREADS;
    if (ncpu < 1)
        return 1;
    return (unsigned long)ncpu > cap ? cap : (unsigned)ncpu;
}

static void *run(void *arg)
{
    struct loop *l = arg;
    for (size_t i; (i = atomic_fetch_add(&l->next, 1)) < l->n;)
        l->fn(l->ctx, i);
    return NULL;
}

void hv_parallel_for(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx)
{
    struct loop l = { .n = n, .fn = fn, .ctx = ctx };
    atomic_init(&l.next, 0);
    if (threads == 0)
        threads = hv_cpu_count(0);
    if (threads > HV_POOL_MAX_THREADS)
        threads = HV_POOL_MAX_THREADS;
    if (threads > n)
        threads = n ? (unsigned)n : 1;
    pthread_t tid[HV_POOL_MAX_THREADS];
    unsigned started = 0;
    for (unsigned k = 1; k < threads; k++)
        if (pthread_create(&tid[started], NULL, run, &l) == 0)
            started++;
    run(&l);
    for (unsigned k = 0; k < started; k++)
        pthread_join(tid[k], NULL);
}
