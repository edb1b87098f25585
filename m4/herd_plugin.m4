# HERD_PLUGIN(KIND, NAME, DEFAULT, HELP, [DEPENDENCY-VAR])
# ---------------------------------------------------------
# One --enable-KIND-NAME / --disable-KIND-NAME switch per plugin and an
# automake conditional BUILD_KIND_NAME. DEFAULT is yes or no. When
# DEPENDENCY-VAR is given, it names a shell variable that configure has set
# to "yes" when the plugin's dependency is present: a plugin left at its
# default is quietly dropped without it, an explicitly requested one fails
# configure. Each plugin is recorded for the summary table.
AC_DEFUN([HERD_PLUGIN], [
    m4_pushdef([herd_id], m4_translit([$1_$2], [-a-z], [_A-Z]))
    AC_ARG_ENABLE([$1-$2],
        [AS_HELP_STRING([--enable-$1-$2], [$4 @<:@default=$3@:>@])],
        [herd_want=$enableval; herd_explicit=yes],
        [herd_want=$3; herd_explicit=no])
    herd_dep=m4_ifval([$5], [$$5], [yes])
    herd_build=no
    herd_why=disabled
    AS_IF([test "x$herd_want" = xyes], [
        AS_IF([test "x$herd_dep" = xyes], [herd_build=yes; herd_why=""], [
            AS_IF([test "x$herd_explicit" = xyes],
                [AC_MSG_ERROR([--enable-$1-$2 was requested but its dependency is missing])])
            herd_why="dependency missing"
        ])
    ])
    AM_CONDITIONAL([BUILD_]herd_id, [test "x$herd_build" = xyes])
    herd_plugin_summary="$herd_plugin_summary
    m4_format([%-12s %-20s], [$1], [$2]) $herd_build${herd_why:+ ($herd_why)}"
    m4_popdef([herd_id])
])
