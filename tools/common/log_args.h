/* log_args.h: LOG arguments, as every command that takes replica logs reads
 * them: files as given, directories expanded to their *.hrl and *.hrl.gz
 * files (sorted by name; chain order comes from the headers; "x.hrl" beside
 * "x.hrl.gz" is one log, the plain file). */
#ifndef HVK_LOG_ARGS_H
#define HVK_LOG_ARGS_H

#include <stddef.h>

struct log_args {
    char **paths;
    size_t n;
};
/* `probe`: refuse a file argument that is not a log (the recovery-point
 * commands); verify and timeline report such a file among the others.
 * @return 0, or an exit status after printing the error. */
int log_args_expand(char **args, size_t nargs, int probe, struct log_args *out);
void log_args_free(struct log_args *l);

#endif
