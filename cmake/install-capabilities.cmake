# Runs at `cmake --install`: gives the installed via, the launcher (bin/via)
# and via itself (libexec/via/via), the file capabilities they
# need, group `via`, mode 0755 (as ping has its capabilities): a user outside
# the group may run it, but via drops every capability before anything else
# runs (src/launch/early.cpp) and only explains how to join. No setuid bit.
#
#   cap_net_admin     rtnetlink (routes, ip rules), nftables, the uplink's
#                     net.ipv4.conf.<uplink>.src_valid_mark sysctl
#   cap_setuid,       setfsuid(0) and setfsgid(0) only, so that /run/via and
#   cap_setgid        the pins in /sys/fs/bpf/via belong to root:root, not to
#                     the first user who ran via
#   cap_sys_admin     bpf(2): the programs that mark sockets at creation and
#                     the tag of the launched program; mounting a missing
#                     bpffs; the private mount namespace of --dns
#
# All are in the permitted set only (=p): via raises each one for the few
# calls that need it and drops all of them before running the program.
if(NOT DEFINED VIA_BINARIES)
  message(FATAL_ERROR "VIA_BINARIES is not set")
endif()
if(DEFINED ENV{DESTDIR} AND NOT "$ENV{DESTDIR}" STREQUAL "")
  message(STATUS "DESTDIR install: not setting capabilities on ${VIA_BINARIES}; "
                 "the package's post-install step must run the same commands as cmake/install-capabilities.cmake")
  return()
endif()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "'${cmd}' failed: ${err}\nInstalling via's capabilities needs root.")
  endif()
endfunction()

execute_process(COMMAND getent group via RESULT_VARIABLE missing OUTPUT_QUIET)
if(NOT missing EQUAL 0)
  run(groupadd --system via)
  message(STATUS "Created group via: add users with 'usermod -aG via USER'")
endif()
foreach(binary IN LISTS VIA_BINARIES)
  run(chown root:via ${binary})
  run(chmod 0755 ${binary})
  run(setcap cap_net_admin,cap_setgid,cap_setuid,cap_sys_admin=p ${binary})
  message(STATUS "Installed ${binary} root:via 0755 with cap_net_admin,cap_setgid,cap_setuid,cap_sys_admin=p")
endforeach()
