#ifndef VERDICT_CYAML_SHIM_H
#define VERDICT_CYAML_SHIM_H
#include <yaml.h>
#endif
