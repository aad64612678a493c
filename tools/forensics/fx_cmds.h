/* fx_cmds.h: the commands this folder adds to the programs' command tables
 * (tools/hrl and tools/vhdx list them by name; each program links only its own). */
#ifndef HVK_FX_CMDS_H
#define HVK_FX_CMDS_H

int cmd_files(int argc, char **argv); /* `hrl files` or `vhdx files` */
int cmd_diff(int argc, char **argv);  /* `hrl diff` */

#endif
