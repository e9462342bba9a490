# What the single-result benchmarks (Log, QueueList, HostQueue) share: the median of repeated runs, and their report
# as <name>-bench-<time>.json (Meta and Result) and .md (a title, the conditions, one table row). Dot-source it.

function Measure-Median([double[]] $Values) { $sorted = @($Values | Sort-Object); $sorted[[int][Math]::Floor(($sorted.Count - 1) / 2)] }

function Write-BenchReport {
    param(
        # Where the files go (created when missing).
        [string] $Directory,
        # The file name's first part: <Name>-bench-<yyyyMMdd-HHmmss>.json / .md.
        [string] $Name,
        # The markdown title, before the date.
        [string] $Title,
        [DateTime] $StartedAt,
        # Conditions of the run (cores, load average, versions, method), written to the JSON as Meta.
        [System.Collections.Specialized.OrderedDictionary] $Meta,
        # The markdown line under the title that says those conditions.
        [string] $Conditions,
        # The result, written to the JSON as Result; its properties fill the table's one row.
        $Row,
        # Table header -> property of $Row, in column order; a true/false column is centred.
        [System.Collections.Specialized.OrderedDictionary] $Columns
    )
    New-Item -ItemType Directory -Force $Directory | Out-Null
    $jsonPath = Join-Path $Directory "$Name-bench-$($StartedAt.ToString('yyyyMMdd-HHmmss')).json"
    [ordered]@{ Meta = $Meta; Result = $Row } | ConvertTo-Json -Depth 4 | Set-Content $jsonPath
    $values = @($Columns.Values | ForEach-Object { $Row.$_ })
    $md = [System.Text.StringBuilder]::new()
    [void]$md.AppendLine("# $Title, $($StartedAt.ToString('yyyy-MM-dd HH:mm'))").AppendLine()
    [void]$md.AppendLine($Conditions).AppendLine()
    [void]$md.AppendLine('| ' + ($Columns.Keys -join ' | ') + ' |')
    [void]$md.AppendLine('|' + (($values | ForEach-Object { if ($_ -is [bool]) { ':---:' } else { '---:' } }) -join '|') + '|')
    [void]$md.AppendLine('| ' + ($values -join ' | ') + ' |')
    $mdPath = [IO.Path]::ChangeExtension($jsonPath, '.md')
    Set-Content $mdPath $md.ToString()
    Write-Host "Results: $jsonPath, $mdPath"
}
