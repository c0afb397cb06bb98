/*
 * rules.h - the node kinds that know about Python projects.
 *
 *   tasks:pyproject.toml  the project's task table, parsed and checked (pure)
 *   task-def:NAME         one task's definition, so editing one task re-runs only it
 *   task:NAME             running a task: its deps, inputs, command and outputs
 */
#ifndef BUNPY_RULES_H
#define BUNPY_RULES_H

#include "engine/engine.h"

#define RULES_PYPROJECT "pyproject.toml"

int rules_register(Engine *eng, Err *err);

/* task_config.c */
extern const Rule rules_tasks_rule;
extern const Rule rules_task_def_rule;

#endif
