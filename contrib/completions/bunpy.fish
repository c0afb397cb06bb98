# bunpy.fish - fish completion for bunpy.
#
# The candidates come from `bunpy complete -- WORD...` (the words after "bunpy", the
# last one being completed); when it prints nothing, file names are completed.

function __bunpy_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l output
    if test (count $words) -gt 1
        set output ($words[1] complete -- $words[2..-1] $current 2>/dev/null)
    else
        set output ($words[1] complete -- $current 2>/dev/null)
    end
    if test (count $output) -gt 0
        printf '%s\n' $output
    else
        __fish_complete_path $current
    end
end

complete -c bunpy -f -a '(__bunpy_complete)'
