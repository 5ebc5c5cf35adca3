# bash completion for via(1)
#   via [--gateway ADDR] [--gateway6 ADDR] [--dns ADDR]... [--no-kill-switch]
#       [--as-user] [-v|--verbose] UPLINK -- PROGRAM [ARGS...]
#   via repair [-v] [UPLINK...]
#   via adduser UPLINK
# Before "--": options and the live interface names; after it: the normal
# completion of PROGRAM and its arguments.

# The uplinks of /etc/via, and the live interface names.
_via_interfaces() {
    local d
    sed -n 's/^[[:space:]]*\[[[:space:]]*uplink[[:space:]]\{1,\}\([^][:space:]]*\).*/\1/p' \
        /etc/via/via.conf /etc/via/conf.d/*.conf 2>/dev/null
    for d in /sys/class/net/*; do
        [[ -e $d ]] && printf '%s\n' "${d##*/}"
    done
}

_via() {
    local cur prev words cword
    _init_completion || return

    local i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
    done

    case $prev in
        --gateway | --gateway6 | --dns)
            return
            ;;
    esac

    if [[ ${words[1]} == adduser ]]; then
        ((cword == 2)) && COMPREPLY=($(compgen -W "$(_via_interfaces)" -- "$cur"))
        return
    fi
    if [[ ${words[1]} == repair && $cword -gt 1 ]]; then
        COMPREPLY=($(compgen -W "-v $(_via_interfaces)" -- "$cur"))
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--gateway --gateway6 --dns --no-kill-switch --as-user --verbose -v --help -h --version --' -- "$cur"))
        return
    fi

    # Once the uplink is given, only "--" may follow.
    local have_uplink=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --gateway | --gateway6 | --dns) ((i++)) ;;
            -*) ;;
            *) have_uplink=1 ;;
        esac
    done
    if [[ -n $have_uplink ]]; then
        COMPREPLY=(--)
    else
        local commands=
        ((cword == 1)) && commands="repair adduser"
        COMPREPLY=($(compgen -W "$commands $(_via_interfaces)" -- "$cur"))
    fi
}
complete -F _via via
