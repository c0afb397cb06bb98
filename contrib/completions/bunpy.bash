# bunpy.bash - bash completion for bunpy.
#
# The candidates come from `bunpy complete -- WORD...` (the words after "bunpy", the
# last one being completed); when it prints nothing, bash completes file names.

_bunpy()
{
	local bunpy=bunpy cur=${COMP_WORDS[COMP_CWORD]} head w i glued=0
	local -a words=() out=()

	[[ ${COMP_WORDS[0]} == */* && -x ${COMP_WORDS[0]} ]] && bunpy=${COMP_WORDS[0]}
	# bash cuts "--color=al" and "test:unit" at '=' and ':' (COMP_WORDBREAKS) but bunpy
	# wants whole words: glue the pieces back
	for ((i = 1; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((${#words[@]})) && [[ $w == = || $w == : || $glued == 1 ]]; then
			words[${#words[@]}-1]+=$w
			[[ $w == = || $w == : ]] && glued=1 || glued=0
		else
			words+=("$w")
			glued=0
		fi
	done
	((${#words[@]})) || words=("")
	# readline replaces only what follows the last '=' or ':': strip what comes before
	if [[ $cur == = || $cur == : ]]; then
		head=${words[${#words[@]}-1]}
	else
		head=${words[${#words[@]}-1]%"$cur"}
	fi
	mapfile -t out < <("$bunpy" complete -- "${words[@]}" 2>/dev/null)
	COMPREPLY=()
	for w in "${out[@]}"; do
		[[ -n $w ]] && COMPREPLY+=("${w#"$head"}")
	done
}

complete -o bashdefault -o default -F _bunpy bunpy
