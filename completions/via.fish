# fish completion for via(1)

function __via_interfaces
    set -l files /etc/via/via.conf /etc/via/conf.d/*.conf
    test -n "$files[1]"; and sed -n 's/^[[:space:]]*\[[[:space:]]*uplink[[:space:]]\{1,\}\([^][:space:]]*\).*/\1/p' $files 2>/dev/null
    for d in /sys/class/net/*
        basename $d
    end
end

function __via_applications
    set -l dirs (set -q XDG_DATA_HOME; and echo $XDG_DATA_HOME; or echo ~/.local/share) (string split : -- "$XDG_DATA_DIRS") /usr/local/share /usr/share
    for d in $dirs
        for f in $d/applications/*.desktop
            basename $f .desktop
        end
    end
end

# The words typed before the current one, without "via".
function __via_args
    commandline -opc | tail -n +2
end

function __via_after_separator
    contains -- -- (__via_args)
end

# The launch's words before "--": how many are not options (nor their values).
function __via_operands
    set -l n 0
    set -l skip 0
    for w in (__via_args)
        if test $skip = 1
            set skip 0
        else if contains -- $w --gateway --gateway6 --dns
            set skip 1
        else if not string match -q -- '-*' $w
            set n (math $n + 1)
        end
    end
    echo $n
end

function __via_command
    set -l args (__via_args)
    if set -q args[1]; and contains -- $args[1] status list check gc down desktop repair adduser; and not __via_after_separator
        echo $args[1]
    end
end

function __via_launching
    not __via_after_separator; and test -z "$(__via_command)"
end

# After "--": complete the rest as its own command line.
function __via_program
    set -l args (commandline -opc)
    set -l at (contains -i -- -- $args)
    complete -C (string join ' ' -- (string escape -- $args[(math $at + 1)..-1]) (commandline -ct))
end

complete -c via -f
complete -c via -n __via_after_separator -xa '(__via_program)'

# A launch.
set -l commands status list check gc down desktop repair adduser
complete -c via -n "__via_launching; and test (__via_operands) = 0" -xa "$commands"
complete -c via -n "__via_launching; and test (__via_operands) = 0" -xa '(__via_interfaces)'
complete -c via -n "__via_launching; and test (__via_operands) = 1" -xa -- --
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l gateway -x -d 'IPv4 next hop on UPLINK'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l gateway6 -x -d 'IPv6 next hop on UPLINK'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l dns -x -d 'name server reached through UPLINK'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l no-kill-switch -d 'let traffic take the normal routes when UPLINK is down'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l as-user -d "run PROGRAM as the uplink's dedicated user"
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l notify -d 'also show a failure as a desktop notification'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -s v -l verbose -d 'say what was created and what was there'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -s h -l help -d 'show help'
complete -c via -n "__via_launching; and test (__via_operands) = 0" -l version -d 'show version'

# The commands.
complete -c via -n 'contains -- (__via_command) status list' -l json -xa 'short pretty' -d 'JSON output'
complete -c via -n 'contains -- (__via_command) status list repair' -xa '(__via_interfaces)'
complete -c via -n 'contains -- (__via_command) check adduser down; and test (__via_operands) = 1' -xa '(__via_interfaces)'
complete -c via -n 'contains -- (__via_command) gc down repair' -s v -l verbose -d 'say what was done'
complete -c via -n 'test "$(__via_command)" = down' -l force -d 'even while programs run through it'
complete -c via -n 'test "$(__via_command)" = desktop; and test (__via_operands) = 1' -xa '(__via_interfaces)'
complete -c via -n 'test "$(__via_command)" = desktop; and test (__via_operands) = 2' -xa '(__via_applications)'
