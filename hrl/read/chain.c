/* chain.c: ordering a set of logs into one log chain (docs/hrl-format.md §12: logs
 * are linked only by UniqueId / PreviousUniqueId).
 *
 *   log A {Unique a, Prev z} <- log B {Unique b, Prev a} <- log C {Unique c, Prev b}
 *
 * The first log is the one whose PreviousUniqueId no other log has. Reported:
 * duplicates (same UniqueId twice; the same log given twice says so, and
 * a duplicate is neither a gap nor a log of another chain), forks (two logs naming the same previous
 * log), gaps (a PreviousUniqueId no log has, besides the first), and logs of
 * another chain (another Vhd2DataWriteGuid than the first log, or not
 * connected). The number of logs is what the user named on the command line,
 * so the quadratic search is fine and needs no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "hrl_impl.h"

static size_t find_unique(const struct hrl_header *const *h, size_t n, const struct hv_guid *g)
{
    for (size_t i = 0; i < n; i++)
        if (hv_guid_eq(&h[i]->unique_id, g))
            return i;
    return n;
}

/* Whether log i repeats the UniqueId of an earlier log. */
static int is_dup(const struct hrl_header *const *h, size_t n, size_t i)
{
    return find_unique(h, n, &h[i]->unique_id) < i;
}

/* Two headers of one log: same identity, same end, same checksum. */
static int same_log(const struct hrl_header *x, const struct hrl_header *y)
{
    return hv_guid_eq(&x->unique_id, &y->unique_id) &&
           hv_guid_eq(&x->previous_unique_id, &y->previous_unique_id) && x->eol == y->eol &&
           x->checksum == y->checksum && x->total_entries == y->total_entries;
}

static int placed_at(const size_t *order, size_t placed, size_t i)
{
    for (size_t k = 0; k < placed; k++)
        if (order[k] == i)
            return 1;
    return 0;
}

/* Appends `cur` and its successors to order[]; the first successor wins at a fork. */
static size_t follow(const struct hrl_header *const *h, size_t n, size_t cur, size_t *order,
                     size_t placed)
{
    while (!placed_at(order, placed, cur)) {
        order[placed++] = cur;
        size_t next = n;
        for (size_t i = 0; i < n && next == n; i++)
            if (i != cur && hv_guid_eq(&h[i]->previous_unique_id, &h[cur]->unique_id))
                next = i;
        if (next == n)
            break;
        cur = next;
    }
    return placed;
}

size_t hrl_chain_order(const struct hrl_header *const *h, size_t n, size_t *order,
                       hrl_problem_fn fn, void *ctx)
{
    struct hrl_report r = { .fn = fn, .ctx = ctx };
    char what[80], a[40], b[40];
    size_t placed = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof what, "log chain (file %zu)", i + 1);
        size_t j = find_unique(h, n, &h[i]->unique_id);
        if (j < i && same_log(h[i], h[j]))
            hrl_report(&r, HRL_P_CHAIN_DUPLICATE, i, what,
                       "the same log as file %zu (UniqueId %s), given twice", j + 1,
                       hv_guid_format(&h[i]->unique_id, 1, a));
        else if (j < i)
            hrl_report(&r, HRL_P_CHAIN_DUPLICATE, i, what, "UniqueId %s also belongs to file %zu",
                       hv_guid_format(&h[i]->unique_id, 1, a), j + 1);
        for (size_t k = 0; k < i; k++)
            if (hv_guid_eq(&h[k]->previous_unique_id, &h[i]->previous_unique_id) &&
                !hv_guid_eq(&h[k]->unique_id, &h[i]->unique_id)) {
                hrl_report(&r, HRL_P_CHAIN_FORK, i, what,
                           "fork: file %zu also follows %s", k + 1,
                           hv_guid_format(&h[i]->previous_unique_id, 1, a));
                break;
            }
    }
    /* Roots: logs whose predecessor is not in the set. The first is the start;
     * every further root is a gap in the chain. */
    size_t root = n;
    for (size_t i = 0; i < n; i++) {
        if (find_unique(h, n, &h[i]->previous_unique_id) < n || is_dup(h, n, i))
            continue;
        if (root == n) {
            root = i;
            continue;
        }
        snprintf(what, sizeof what, "log chain (file %zu)", i + 1);
        hrl_report(&r, HRL_P_CHAIN_GAP, i, what, "previous log %s is missing",
                   hv_guid_format(&h[i]->previous_unique_id, 1, a));
    }
    if (root == n) { /* every log has a predecessor in the set: a cycle */
        hrl_report(&r, HRL_P_CHAIN_GAP, 0, "log chain", "the logs form a cycle, no first log");
        root = 0;
    }
    placed = follow(h, n, root, order, placed);
    /* After a gap the chain goes on: place the logs behind each gap next. */
    for (size_t i = 0; i < n; i++)
        if (i != root && find_unique(h, n, &h[i]->previous_unique_id) == n && !placed_at(order, placed, i))
            placed = follow(h, n, i, order, placed);
    for (size_t k = 0; k < placed; k++) {
        const struct hrl_header *x = h[order[k]];
        if (!hv_guid_eq(&x->vhd2_guid, &h[root]->vhd2_guid)) {
            snprintf(what, sizeof what, "log chain (file %zu)", order[k] + 1);
            hrl_report(&r, HRL_P_CHAIN_FOREIGN, order[k], what,
                       "Vhd2DataWriteGuid %s, the chain's first log has %s",
                       hv_guid_format(&x->vhd2_guid, 1, a), hv_guid_format(&h[root]->vhd2_guid, 1, b));
        }
    }
    /* Logs still not reached belong elsewhere; list them last. */
    for (size_t i = 0; i < n; i++) {
        if (placed_at(order, placed, i))
            continue;
        order[placed++] = i;
        if (is_dup(h, n, i))
            continue; /* already reported as a duplicate */
        snprintf(what, sizeof what, "log chain (file %zu)", i + 1);
        hrl_report(&r, HRL_P_CHAIN_FOREIGN, i, what, "not connected to the chain starting at "
                   "file %zu", root + 1);
    }
    return (size_t)r.count;
}
