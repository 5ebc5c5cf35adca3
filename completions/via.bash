# bash completion for via(1)
#   via [OPTIONS] UPLINK -- PROGRAM [ARGS...]
#   via status|list [--json[=short|pretty]] [UPLINK...]
#   via check [UPLINK] | gc [-v] | down [--force] [-v] UPLINK
#   via desktop UPLINK APP | repair [-v] [UPLINK...] | adduser UPLINK
# Before "--": commands, options, uplink and interface names; after it:
# PROGRAM's own completion.

# The uplinks of /etc/via, and the live interface names.
_via_interfaces() {
    local d
    sed -n 's/^[[:space:]]*\[[[:space:]]*uplink[[:space:]]\{1,\}\([^][:space:]]*\).*/\1/p' \
        /etc/via/via.conf /etc/via/conf.d/*.conf 2>/dev/null
    for d in /sys/class/net/*; do
        [[ -e $d ]] && printf '%s\n' "${d##*/}"
    done
}

# Installed applications, by desktop file id.
_via_applications() {
    local d f
    for d in "${XDG_DATA_HOME:-$HOME/.local/share}" ${XDG_DATA_DIRS//:/ } /usr/local/share /usr/share; do
        for f in "$d"/applications/*.desktop; do
            [[ -e $f ]] && f=${f##*/} && printf '%s\n' "${f%.desktop}"
        done
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

    local operands=0
    for ((i = 2; i < cword; i++)); do
        [[ ${words[i]} != -* ]] && ((operands++))
    done
    case ${words[1]} in
        status | list)
            if ((cword > 1)); then
                COMPREPLY=($(compgen -W "--json --json=short --json=pretty $(_via_interfaces)" -- "$cur"))
                return
            fi
            ;;
        check | adduser)
            if ((cword > 1)); then
                ((operands == 0)) && COMPREPLY=($(compgen -W "$(_via_interfaces)" -- "$cur"))
                return
            fi
            ;;
        gc)
            ((cword > 1)) && COMPREPLY=($(compgen -W "-v --verbose" -- "$cur")) && return
            ;;
        down)
            if ((cword > 1)); then
                local words_=--force\ -v\ --verbose
                ((operands == 0)) && words_+=" $(_via_interfaces)"
                COMPREPLY=($(compgen -W "$words_" -- "$cur"))
                return
            fi
            ;;
        desktop)
            if ((cword > 1)); then
                case $operands in
                    0) COMPREPLY=($(compgen -W "$(_via_interfaces)" -- "$cur")) ;;
                    1) COMPREPLY=($(compgen -W "$(_via_applications)" -- "$cur")) ;;
                esac
                return
            fi
            ;;
        repair)
            ((cword > 1)) && COMPREPLY=($(compgen -W "-v --verbose $(_via_interfaces)" -- "$cur")) && return
            ;;
    esac

    # A launch: options, then UPLINK, then only "--".
    local have_uplink=
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --gateway | --gateway6 | --dns) ((i++)) ;;
            -*) ;;
            *) have_uplink=1 ;;
        esac
    done
    if [[ -n $have_uplink ]]; then
        # Offered only where it fits: what was typed is never replaced.
        COMPREPLY=($(compgen -W "--" -- "$cur"))
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '--gateway --gateway6 --dns --no-kill-switch --as-user --notify --verbose -v --help -h --version' -- "$cur"))
    else
        local commands=
        ((cword == 1)) && commands="status list check gc down desktop repair adduser"
        COMPREPLY=($(compgen -W "$commands $(_via_interfaces)" -- "$cur"))
    fi
}
complete -F _via via
