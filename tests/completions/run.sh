#!/usr/bin/env bash
# Completes via command lines for real in bash (with bash-completion), zsh
# (in a pseudo-terminal, zsh/zpty) and fish (complete -C), with the
# completion files of this tree. Needs no privilege and changes nothing
# outside a temporary directory.
#   tests/completions/run.sh
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/via-completions-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $1" >&2; }
has() {  # has DESCRIPTION WORD OUTPUT: WORD is one of the output's lines
    if grep -qxF -- "$2" <<<"$3"; then pass "$1"; else fail "$1: '$2' not in: $(tr '\n' ' ' <<<"$3")"; fi
}
lacks() {
    if grep -qxF -- "$2" <<<"$3"; then fail "$1: '$2' offered"; else pass "$1"; fi
}
only() {  # only DESCRIPTION EXPECTED OUTPUT
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$(tr '\n' ' ' <<<"$3")'"; fi
}

# A program with completions of its own in each shell, to complete after "--".
mkdir -p "$TMP/bin" "$TMP/zsh" "$TMP/fish"
printf '#!/bin/sh\n' >"$TMP/bin/viatestprog"
chmod +x "$TMP/bin/viatestprog"
export PATH="$TMP/bin:$PATH"
cp "$SRC/completions/_via" "$TMP/zsh/_via"
printf '#compdef viatestprog\n_arguments "1:word:(alpha beta)"\n' >"$TMP/zsh/_viatestprog"

# --- bash ---------------------------------------------------------------------
bash_complete() {  # bash_complete LINE: the candidates for LINE's last word
    bash --norc --noprofile -c '
        source /usr/share/bash-completion/bash_completion
        source "$1"
        complete -W "alpha beta" viatestprog
        line=$2
        COMP_LINE=$line COMP_POINT=${#line}
        read -r -a COMP_WORDS <<<"$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _via via "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"' bash "$SRC/completions/via.bash" "$1"
}
has "bash: commands" status "$(bash_complete 'via st')"
has "bash: interfaces" lo "$(bash_complete 'via l')"
has "bash: options" --gateway "$(bash_complete 'via --gatew')"
only "bash: after UPLINK, -- completes to --" -- "$(bash_complete 'via lo --')"
only "bash: after UPLINK, a word is left alone" "" "$(bash_complete 'via lo cur')"
only "bash: after UPLINK, only --" -- "$(bash_complete 'via lo ')"
has "bash: after --, the program" viatestprog "$(bash_complete 'via lo -- viatestp')"
has "bash: then the program's own arguments" alpha "$(bash_complete 'via --dns 10.0.0.53 lo -- viatestprog al')"
has "bash: status --json" --json=pretty "$(bash_complete 'via status --json=p')"
has "bash: down's uplink" lo "$(bash_complete 'via down --force l')"

# --- zsh ----------------------------------------------------------------------
# An interactive zsh in a pseudo-terminal: type the line and TAB, then ask
# for the buffer. With one candidate, TAB completes it into the line.
zsh_complete() {  # zsh_complete LINE: the line after TAB
    ZDOTDIR=$TMP zsh -f -c '
        zmodload zsh/zpty
        zpty -b z "zsh -f -i"
        zpty -w z "PS1=; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D -d $2/zcompdump"
        zpty -w z "zstyle \":completion:*\" list-prompt \"\"; zstyle \":completion:*\" menu no"
        zpty -w z "print-buffer() { print -r -- \"<\"\"<\$BUFFER>\"\">\"; zle kill-whole-line }; zle -N print-buffer; bindkey \"^X\" print-buffer"
        zpty -w -n z "$3"$'"'"'\t'"'"'
        sleep 0.5
        zpty -w -n z $'"'"'\x18'"'"'
        out=
        for i in {1..50}; do
            zpty -r -t z line && out+=$line || sleep 0.1
            [[ $out == *"<<"*">>"* ]] && break
        done
        zpty -d z
        print -r -- ${${out##*<<}%%>>*}' zsh "$TMP/zsh" "$TMP" "$1" 2>/dev/null | tr -d '\r' | tail -n1
}
only "zsh: a command" "via status " "$(zsh_complete 'via stat')"
only "zsh: an option" "via --no-kill-switch " "$(zsh_complete 'via --no-k')"
only "zsh: options' common prefix" "via --gateway" "$(zsh_complete 'via --gatew')"
only "zsh: after UPLINK, --" "via lo -- " "$(zsh_complete 'via lo -')"
only "zsh: after --, the program" "via lo -- viatestprog " "$(zsh_complete 'via lo -- viatestp')"
only "zsh: then the program's own arguments" "via lo -- viatestprog alpha " "$(zsh_complete 'via lo -- viatestprog al')"
only "zsh: down --force's uplink" "via down --force lo " "$(zsh_complete 'via down --force l')"

# --- fish ---------------------------------------------------------------------
fish_complete() {  # fish_complete LINE: the candidates, without descriptions
    XDG_CONFIG_HOME=$TMP/fish fish --no-config -c '
        source $argv[1]
        complete -c viatestprog -xa "alpha beta"
        complete -C $argv[2]' "$SRC/completions/via.fish" "$1" | cut -f1
}
has "fish: commands" status "$(fish_complete 'via st')"
has "fish: interfaces" lo "$(fish_complete 'via l')"
has "fish: options" --gateway "$(fish_complete 'via --gat')"
only "fish: after UPLINK, only --" -- "$(fish_complete 'via lo ')"
has "fish: after --, the program" viatestprog "$(fish_complete 'via lo -- viatestp')"
has "fish: then the program's own arguments" alpha "$(fish_complete 'via --dns 10.0.0.53 lo -- viatestprog al')"
lacks "fish: no via option after --" --gateway "$(fish_complete 'via lo -- viatestprog --')"
has "fish: down's uplink" lo "$(fish_complete 'via down l')"
has "fish: desktop's application" viatestapp "$(mkdir -p "$TMP/share/applications" && touch "$TMP/share/applications/viatestapp.desktop" && XDG_DATA_DIRS=$TMP/share fish_complete 'via desktop lo viatest')"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
