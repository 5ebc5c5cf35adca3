# bash completion for via(1)
#   via [--gateway ADDR] [--gateway6 ADDR] [--dns ADDR]... [--no-kill-switch]
#       [-v|--verbose] UPLINK -- PROGRAM [ARGS...]
#   via repair [-v] [UPLINK...]
# Before "--": options and the live interface names; after it: the normal
# completion of PROGRAM and its arguments.

_via_interfaces() {
    local d
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

    if [[ ${words[1]} == repair && $cword -gt 1 ]]; then
        COMPREPLY=($(compgen -W "-v $(_via_interfaces)" -- "$cur"))
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--gateway --gateway6 --dns --no-kill-switch --verbose -v --help -h --version --' -- "$cur"))
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
        local repair=
        ((cword == 1)) && repair=repair
        COMPREPLY=($(compgen -W "$repair $(_via_interfaces)" -- "$cur"))
    fi
}
complete -F _via via
