# Reads cmdlet help pages written in PlatyPS's markdown layout (docs/<Cmdlet>.md) and writes MAML,
# because PlatyPS is not available to us. The build turns docs into help; the tests compare docs with the code.
Set-StrictMode -Version Latest

function Get-HelpMarkdown {
    <#
    .SYNOPSIS
        Parses one PlatyPS-style markdown help page into an object.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string] $Path)
    process {
        $text = (Get-Content -LiteralPath $Path -Raw) -replace "`r`n", "`n"
        $text = $text -replace '(?s)^---\n.*?\n---\n', ''
        $name = if ($text -match '(?m)^# (\S+)\s*$') { $Matches[1] } else { throw "${Path}: no '# Name' heading" }

        # Split into level-2 sections; level-3 headings stay inside their section.
        $sections = [ordered]@{}
        $current = $null
        foreach ($line in $text -split "`n") {
            if ($line -match '^## (.+?)\s*$') { $current = $Matches[1].ToUpperInvariant(); $sections[$current] = [Collections.Generic.List[string]]::new(); continue }
            if ($null -ne $current) { $sections[$current].Add($line) }
        }
        $section = { param($n) if ($sections.Contains($n)) { ($sections[$n] -join "`n").Trim() } else { '' } }

        $examples = foreach ($block in (Split-Level3 (& $section 'EXAMPLES'))) {
            $code = if ($block.Body -match '(?s)```(?:powershell|pwsh|ps1)?\n(.*?)\n```') { $Matches[1].Trim() } else { '' }
            $remarks = ($block.Body -replace '(?s)```.*?```', '').Trim()
            [pscustomobject]@{ Title = $block.Title; Code = $code; Remarks = $remarks }
        }

        $parameters = foreach ($block in (Split-Level3 (& $section 'PARAMETERS'))) {
            if ($block.Title -eq 'CommonParameters') { continue }
            $yaml = if ($block.Body -match '(?s)```yaml\n(.*?)\n```') { $Matches[1] } else { '' }
            $fields = @{}
            foreach ($l in $yaml -split "`n") { if ($l -match '^([^:]+):\s*(.*)$') { $fields[$Matches[1].Trim()] = $Matches[2].Trim() } }
            $pipeline = if ($fields.ContainsKey('Accept pipeline input')) { $fields['Accept pipeline input'] } else { 'False' }
            [pscustomobject]@{
                Name            = $block.Title.TrimStart('-')
                Description     = ($block.Body -replace '(?s)```.*?```', '').Trim()
                Type            = $fields['Type']
                ParameterSets   = if ($fields['Parameter Sets']) { $fields['Parameter Sets'] } else { '(All)' }
                Aliases         = $fields['Aliases']
                Required        = $fields['Required'] -eq 'True'
                Position        = $fields['Position']
                DefaultValue    = $fields['Default value']
                PipelineInput   = $pipeline
                ByValue         = $pipeline -match 'ByValue'
                ByPropertyName  = $pipeline -match 'ByPropertyName'
                AcceptWildcard  = $fields['Accept wildcard characters'] -eq 'True'
            }
        }

        $typeList = { param($n) foreach ($b in (Split-Level3 (& $section $n))) { [pscustomobject]@{ Type = $b.Title; Description = $b.Body } } }
        [pscustomobject]@{
            Path         = $Path
            Name         = $name
            Synopsis     = & $section 'SYNOPSIS'
            Syntax       = & $section 'SYNTAX'
            Description  = & $section 'DESCRIPTION'
            Examples     = @($examples)
            Parameters   = @($parameters)
            Inputs       = @(& $typeList 'INPUTS')
            Outputs      = @(& $typeList 'OUTPUTS')
            Notes        = & $section 'NOTES'
            RelatedLinks = & $section 'RELATED LINKS'
        }
    }
}

function Split-Level3([string] $Body) {
    # Yields one {Title, Body} per '### Title' block.
    $title = $null
    $lines = [Collections.Generic.List[string]]::new()
    $inFence = $false
    foreach ($line in ($Body -split "`n")) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^### (.+?)\s*$') {
            if ($null -ne $title) { [pscustomobject]@{ Title = $title; Body = ($lines -join "`n").Trim() } }
            $title = $Matches[1]; $lines.Clear(); continue
        }
        if ($null -ne $title) { $lines.Add($line) }
    }
    if ($null -ne $title) { [pscustomobject]@{ Title = $title; Body = ($lines -join "`n").Trim() } }
}

function ConvertTo-MamlHelp {
    <#
    .SYNOPSIS
        Writes one MAML help file for the given markdown pages.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string[]] $Path,
        [Parameter(Mandatory)] [string] $Destination
    )
    $nsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $nsMaml = 'http://schemas.microsoft.com/maml/2004/10'
    $nsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
    $w = [Xml.XmlWriter]::Create($Destination, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh')
        $w.WriteAttributeString('schema', 'maml')
        foreach ($page in ($Path | Get-HelpMarkdown)) {
            $w.WriteStartElement('command', 'command', $nsCommand)
            $w.WriteAttributeString('xmlns', 'maml', $null, $nsMaml)
            $w.WriteAttributeString('xmlns', 'dev', $null, $nsDev)
            $verb, $noun = $page.Name -split '-', 2
            $w.WriteStartElement('command', 'details', $nsCommand)
            $w.WriteElementString('command', 'name', $nsCommand, $page.Name)
            $w.WriteElementString('command', 'verb', $nsCommand, $verb)
            $w.WriteElementString('command', 'noun', $nsCommand, $noun)
            Write-Paragraphs $w 'description' $page.Synopsis $nsMaml
            $w.WriteEndElement()
            Write-Paragraphs $w 'description' $page.Description $nsMaml

            # Syntax: one item per parameter set named in the pages' yaml, parameters of '(All)' in every set.
            $sets = @($page.Parameters | ForEach-Object { $_.ParameterSets -split ',\s*' } | Where-Object { $_ -ne '(All)' } | Select-Object -Unique)
            if ($sets.Count -eq 0) { $sets = @('(All)') }
            $w.WriteStartElement('command', 'syntax', $nsCommand)
            foreach ($set in $sets) {
                $w.WriteStartElement('command', 'syntaxItem', $nsCommand)
                $w.WriteElementString('maml', 'name', $nsMaml, $page.Name)
                foreach ($p in $page.Parameters | Where-Object { $_.ParameterSets -eq '(All)' -or ($_.ParameterSets -split ',\s*') -contains $set }) {
                    Write-MamlParameter $w $p $nsCommand $nsMaml $nsDev
                }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'parameters', $nsCommand)
            foreach ($p in $page.Parameters) { Write-MamlParameter $w $p $nsCommand $nsMaml $nsDev }
            $w.WriteEndElement()

            foreach ($kind in @(@('inputTypes', 'inputType', $page.Inputs), @('returnValues', 'returnValue', $page.Outputs))) {
                $w.WriteStartElement('command', $kind[0], $nsCommand)
                foreach ($t in $kind[2]) {
                    $w.WriteStartElement('command', $kind[1], $nsCommand)
                    $w.WriteStartElement('dev', 'type', $nsDev)
                    $w.WriteElementString('maml', 'name', $nsMaml, $t.Type)
                    $w.WriteEndElement()
                    Write-Paragraphs $w 'description' $t.Description $nsMaml
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }

            if ($page.Notes) {
                $w.WriteStartElement('maml', 'alertSet', $nsMaml)
                $w.WriteStartElement('maml', 'alert', $nsMaml)
                foreach ($para in (Split-Paragraphs $page.Notes)) { $w.WriteElementString('maml', 'para', $nsMaml, $para) }
                $w.WriteEndElement(); $w.WriteEndElement()
            }

            $w.WriteStartElement('command', 'examples', $nsCommand)
            foreach ($e in $page.Examples) {
                $w.WriteStartElement('command', 'example', $nsCommand)
                $w.WriteElementString('maml', 'title', $nsMaml, "-------------------------- $($e.Title) --------------------------")
                $w.WriteElementString('dev', 'code', $nsDev, $e.Code)
                $w.WriteStartElement('dev', 'remarks', $nsDev)
                foreach ($para in (Split-Paragraphs $e.Remarks)) { $w.WriteElementString('maml', 'para', $nsMaml, $para) }
                $w.WriteEndElement()
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'relatedLinks', $nsCommand)
            foreach ($link in ($page.RelatedLinks -split "`n" | Where-Object { $_ -match '\S' })) {
                $w.WriteStartElement('maml', 'navigationLink', $nsMaml)
                $linkText = $link -replace '^\s*[-*]\s*', '' -replace '^\[(.*?)\]\((.*?)\)$', '$1'
                $w.WriteElementString('maml', 'linkText', $nsMaml, $linkText)
                $w.WriteElementString('maml', 'uri', $nsMaml, '')
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
            $w.WriteEndElement() # command
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally { $w.Dispose() }
}

function Split-Paragraphs([string] $Text) {
    # Markdown paragraphs are separated by blank lines; lines within one are joined, list items kept apart.
    if (-not $Text) { return }
    foreach ($para in ($Text -split "\n\s*\n")) {
        $lines = $para -split "`n"
        if ($lines | Where-Object { $_ -match '^\s*[-*] ' }) { $lines | ForEach-Object { $_.TrimEnd() } }
        else { ($lines | ForEach-Object { $_.Trim() }) -join ' ' }
    }
}

function Write-Paragraphs([Xml.XmlWriter] $W, [string] $Element, [string] $Text, [string] $NsMaml) {
    $W.WriteStartElement('maml', $Element, $NsMaml)
    foreach ($para in (Split-Paragraphs $Text)) { $W.WriteElementString('maml', 'para', $NsMaml, $para) }
    $W.WriteEndElement()
}

function Write-MamlParameter([Xml.XmlWriter] $W, $P, $NsCommand, $NsMaml, $NsDev) {
    $W.WriteStartElement('command', 'parameter', $NsCommand)
    $W.WriteAttributeString('required', $P.Required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $P.AcceptWildcard.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $P.PipelineInput)
    $W.WriteAttributeString('position', $(if ($P.Position) { $P.Position.ToLowerInvariant() } else { 'named' }))
    $W.WriteAttributeString('aliases', $(if ($P.Aliases) { $P.Aliases } else { 'none' }))
    $W.WriteElementString('maml', 'name', $NsMaml, $P.Name)
    Write-Paragraphs $W 'description' $P.Description $NsMaml
    if ($P.Type -ne 'SwitchParameter') {
        $W.WriteStartElement('command', 'parameterValue', $NsCommand)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($P.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $NsDev)
    $W.WriteElementString('maml', 'name', $NsMaml, $P.Type)
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $NsDev, $(if ($P.DefaultValue) { $P.DefaultValue } else { 'None' }))
    $W.WriteEndElement()
}

Export-ModuleMember -Function Get-HelpMarkdown, ConvertTo-MamlHelp
