//! `apply --emit ldif|powershell -o FILE`: the plan's changes as files for an administrator who may not
//! give anchorsync write access. Nothing is executed and nothing is journaled.
//!
//! - AD changes go to FILE: an LDIF modify file (`ldif`, for `ldapmodify -f FILE` or `ldifde -i -f
//!   FILE`) whose records each delete the expected value and add the new one, so a value changed since
//!   the plan makes that record fail; or a PowerShell script (`powershell`, ActiveDirectory module)
//!   that reads each value, compares it with the plan's, and only then runs `Set-ADUser -Replace` (or
//!   `-Clear`).
//! - Microsoft 365 changes go beside it, to FILE without its extension plus `-cloud.ps1`
//!   (`changes.ldif` → `changes-cloud.ps1`): a Microsoft Graph PowerShell script that reads each
//!   value, compares, and PATCHes with `Invoke-MgGraphRequest` (an explicit JSON `null` clears
//!   onPremisesImmutableId; `Update-MgUser` would send `""`, which does not). A federated user's UPN
//!   moves to the initial domain and back around the ImmutableID change, the move back in a `finally`
//!   block so it happens even when the change fails.
//!
//! A file is written only when the plan has changes for its system. The PowerShell scripts are UTF-8
//! with a byte-order mark: Windows PowerShell 5.1 reads a script without one in the ANSI code page, so
//! a Japanese or accented DN or UPN in it would be garbled (and the compare would then refuse the user).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anchorsync_ad::ldif::LdifWriter;
use anchorsync_core::remediation::{RemediationStep, StepPurpose, StepSystem, StepValue};
use anchorsync_core::wording::count;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::plan_file::{PlanFile, PlanUser};
use crate::args::EmitFormat;
use crate::exit::ExitStatus;
use crate::output::write_to;

/// The UTF-8 byte-order mark that tells Windows PowerShell 5.1 a script is UTF-8
/// (<https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_character_encoding>).
const UTF8_BOM: &str = "\u{feff}";

/// `changes.ldif` → `changes-cloud.ps1`, in the same directory.
pub fn cloud_script_path(output: &Path) -> PathBuf {
    let stem = output
        .file_stem()
        .map_or_else(|| "changes".into(), |stem| stem.to_string_lossy());
    output.with_file_name(format!("{stem}-cloud.ps1"))
}

pub fn run(plan: &PlanFile, format: EmitFormat, output: &Path) -> anyhow::Result<ExitStatus> {
    let changes_for = |system: StepSystem| {
        plan.users
            .iter()
            .flat_map(|user| &user.steps)
            .filter(|step| step.system == system)
            .count()
    };
    let (ad_changes, cloud_changes) = (changes_for(StepSystem::Ad), changes_for(StepSystem::Cloud));
    let header = format!(
        "anchorsync apply --emit: from `{}` (SHA-256 {})",
        plan.path.display(),
        plan.sha256
    );
    let mut stdout = std::io::stdout().lock();
    if ad_changes > 0 {
        let bytes = match format {
            EmitFormat::Ldif => ldif(plan, &header)?,
            EmitFormat::Powershell => {
                format!("{UTF8_BOM}{}", ad_powershell(plan, &header)).into_bytes()
            }
        };
        write_to(Some(output), |out| Ok(out.write_all(&bytes)?))?;
        let how = match format {
            EmitFormat::Ldif => {
                "apply with `ldapmodify -H ldaps://DC -D BIND -W -f FILE` (add `-c` to go on past a refused record) \
                 or `ldifde -i -f FILE`"
            }
            EmitFormat::Powershell => "run it in PowerShell with the ActiveDirectory module",
        };
        writeln!(
            stdout,
            "wrote {} to `{}`: {how}",
            count(ad_changes, "AD change", "AD changes"),
            output.display()
        )?;
    }
    if cloud_changes > 0 {
        let path = cloud_script_path(output);
        let script = format!("{UTF8_BOM}{}", cloud_powershell(plan, &header));
        write_to(Some(&path), |out| Ok(out.write_all(script.as_bytes())?))?;
        writeln!(
            stdout,
            "wrote {} to `{}`: run it after `Connect-MgGraph -Scopes User.ReadWrite.All`",
            count(
                cloud_changes,
                "Microsoft 365 change",
                "Microsoft 365 changes"
            ),
            path.display()
        )?;
    }
    if ad_changes + cloud_changes == 0 {
        writeln!(stdout, "the plan has no changes; nothing was written")?;
    }
    writeln!(stdout, "nothing was executed or journaled")?;
    Ok(ExitStatus::Success)
}

fn ldif(plan: &PlanFile, header: &str) -> anyhow::Result<Vec<u8>> {
    let comment = format!(
        "{header}\nEach record deletes the value the plan expects and adds the new one: the directory applies \
         both or neither,\nand refuses the record when the value changed since the plan."
    );
    let mut writer = LdifWriter::new(Vec::new(), &comment)?;
    for step in plan
        .users
        .iter()
        .flat_map(|user| &user.steps)
        .filter(|step| step.system == StepSystem::Ad)
    {
        writer.write_compare_and_set(
            &step.target,
            &step.attribute,
            step.before.as_bytes(),
            step.after.as_bytes(),
        )?;
    }
    Ok(writer.finish()?)
}

/// A PowerShell single-quoted string: `'` (and the typographic quotes PowerShell also reads as one)
/// doubled.
fn ps_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// A comment line: no line breaks inside.
fn ps_comment(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// How the AD script compares a value: `$null`, `'base64:...'` for bytes, `'text:...'` for text.
fn ad_expected(value: &StepValue) -> String {
    match value {
        StepValue::Absent => "$null".to_owned(),
        StepValue::Bytes(bytes) => ps_quote(&format!("base64:{}", STANDARD.encode(bytes))),
        StepValue::Text(text) => ps_quote(&format!("text:{text}")),
    }
}

fn ad_new(value: &StepValue) -> String {
    match value {
        StepValue::Absent => "$null".to_owned(),
        StepValue::Bytes(bytes) => format!(
            "([Convert]::FromBase64String({}))",
            ps_quote(&STANDARD.encode(bytes))
        ),
        StepValue::Text(text) => ps_quote(text),
    }
}

fn ad_powershell(plan: &PlanFile, header: &str) -> String {
    let mut script = format!(
        "# {}\n\
         # Active Directory changes, for Windows PowerShell or PowerShell 7 with the ActiveDirectory module (RSAT).\n\
         # Each value is read and compared with the one the plan expects; only then is it replaced. A value that\n\
         # changed since the plan is reported and left alone, and that user's remaining changes are skipped.\n\
         #Requires -Modules ActiveDirectory\n\
         $ErrorActionPreference = 'Stop'\n\
         $script:Failed = 0\n\
         \n\
         function Get-AnchorsyncValue([string]$Identity, [string]$Attribute) {{\n\
         \x20   $user = Get-ADUser -Identity $Identity -Properties $Attribute\n\
         \x20   $value = $user.$Attribute\n\
         \x20   if ($null -eq $value) {{ return $null }}\n\
         \x20   if ($value -is [byte[]]) {{ return 'base64:' + [Convert]::ToBase64String($value) }}\n\
         \x20   return 'text:' + [string]$value\n\
         }}\n\
         \n\
         function Set-AnchorsyncValue([string]$Identity, [string]$Attribute, $Expected, $New) {{\n\
         \x20   $current = Get-AnchorsyncValue $Identity $Attribute\n\
         \x20   if ($current -cne $Expected) {{\n\
         \x20       throw \"$Attribute of $Identity is '$current', not '$Expected' as planned; nothing was written\"\n\
         \x20   }}\n\
         \x20   if ($null -eq $New) {{ Set-ADUser -Identity $Identity -Clear $Attribute }}\n\
         \x20   else {{ Set-ADUser -Identity $Identity -Replace @{{ $Attribute = $New }} }}\n\
         \x20   Write-Host \"done: $Attribute of $Identity\"\n\
         }}\n",
        ps_comment(header)
    );
    let lint_fixes = plan
        .users
        .iter()
        .flat_map(|user| &user.steps)
        .any(|step| step.purpose == StepPurpose::LintFix);
    if lint_fixes {
        // `lint --fix` changes groups and contacts too (Get-ADObject, not Get-ADUser), and one value of
        // proxyAddresses at a time (-Remove and -Add, never -Replace, which would drop the others).
        script.push_str(
            "\n\
             function Set-AnchorsyncObjectValue([string]$Identity, [string]$Attribute, $Expected, $New) {\n\
             \x20   $value = (Get-ADObject -Identity $Identity -Properties $Attribute).$Attribute\n\
             \x20   $current = if ($null -eq $value) { $null } else { 'text:' + [string]$value }\n\
             \x20   if ($current -cne $Expected) {\n\
             \x20       throw \"$Attribute of $Identity is '$current', not '$Expected' as planned; nothing was written\"\n\
             \x20   }\n\
             \x20   if ($null -eq $New) { Set-ADObject -Identity $Identity -Clear $Attribute }\n\
             \x20   else { Set-ADObject -Identity $Identity -Replace @{ $Attribute = $New } }\n\
             \x20   Write-Host \"done: $Attribute of $Identity\"\n\
             }\n\
             \n\
             function Set-AnchorsyncListValue([string]$Identity, [string]$Attribute, $Expected, $New) {\n\
             \x20   $values = @((Get-ADObject -Identity $Identity -Properties $Attribute).$Attribute)\n\
             \x20   if ($null -ne $Expected -and -not ($values -ccontains $Expected)) {\n\
             \x20       throw \"$Attribute of $Identity no longer holds '$Expected' as planned; nothing was written\"\n\
             \x20   }\n\
             \x20   if ($null -ne $New -and ($values -ccontains $New)) {\n\
             \x20       throw \"$Attribute of $Identity already holds '$New'; nothing was written\"\n\
             \x20   }\n\
             \x20   $change = @{}\n\
             \x20   if ($null -ne $Expected) { $change.Remove = @{ $Attribute = $Expected } }\n\
             \x20   if ($null -ne $New) { $change.Add = @{ $Attribute = $New } }\n\
             \x20   Set-ADObject -Identity $Identity @change\n\
             \x20   Write-Host \"done: one value of $Attribute of $Identity\"\n\
             }\n",
        );
    }
    for user in &plan.users {
        let steps: Vec<&RemediationStep> = user
            .steps
            .iter()
            .filter(|step| step.system == StepSystem::Ad)
            .collect();
        if steps.is_empty() {
            continue;
        }
        let _ = writeln!(script, "\n# {}\ntry {{", ps_comment(&user.dn));
        for step in steps {
            let function = match step.purpose {
                StepPurpose::LintFix if step.attribute.eq_ignore_ascii_case("proxyAddresses") => {
                    "Set-AnchorsyncListValue"
                }
                StepPurpose::LintFix => "Set-AnchorsyncObjectValue",
                _ => "Set-AnchorsyncValue",
            };
            let _ = writeln!(
                script,
                "    {function} -Identity {} -Attribute {} -Expected {} -New {}",
                ps_quote(&step.target),
                ps_quote(&step.attribute),
                // The list function compares one value as it is; the others compare `text:`-tagged values.
                if function == "Set-AnchorsyncListValue" {
                    ad_new(&step.before)
                } else {
                    ad_expected(&step.before)
                },
                ad_new(&step.after)
            );
        }
        let _ = writeln!(
            script,
            "}} catch {{\n    Write-Warning (\"{{0}}: {{1}}\" -f {}, $_)\n    $script:Failed++\n}}",
            ps_quote(&user.dn)
        );
    }
    script.push_str(
        "\nif ($script:Failed -gt 0) { Write-Warning \"$script:Failed $(if ($script:Failed -eq 1) { 'user was' } else { 'users were' }) not changed\"; exit 1 }\n",
    );
    script
}

fn ps_json(value: &StepValue) -> String {
    match value.to_graph_text() {
        None => "$null".to_owned(),
        Some(text) => ps_quote(&text),
    }
}

/// `{"property":value}` with the value as JSON (`null` to clear), single-quoted for PowerShell.
fn patch_body(step: &RemediationStep) -> String {
    let value = step
        .after
        .to_graph_text()
        .map_or(serde_json::Value::Null, serde_json::Value::from);
    let mut body = serde_json::Map::new();
    body.insert(step.attribute.clone(), value);
    ps_quote(&serde_json::Value::Object(body).to_string())
}

fn assert_line(step: &RemediationStep, indent: &str) -> String {
    format!(
        "{indent}Assert-AnchorsyncUser -Id {} -Property {} -Expected {}{}",
        ps_quote(&step.target),
        ps_quote(&step.attribute),
        ps_json(&step.before),
        if step.attribute == "userPrincipalName" {
            " -IgnoreCase"
        } else {
            ""
        }
    )
}

fn patch_line(step: &RemediationStep, indent: &str) -> String {
    format!(
        "{indent}Set-AnchorsyncUser -Id {} -Body {}",
        ps_quote(&step.target),
        patch_body(step)
    )
}

fn cloud_user_block(script: &mut String, user: &PlanUser) {
    let steps: Vec<&RemediationStep> = user
        .steps
        .iter()
        .filter(|step| step.system == StepSystem::Cloud)
        .collect();
    if steps.is_empty() {
        return;
    }
    let _ = writeln!(script, "\n# {}\ntry {{", ps_comment(&user.dn));
    let mut index = 0;
    while let Some(step) = steps.get(index) {
        let back = (step.purpose == StepPurpose::FederatedUpnAway)
            .then(|| {
                steps.iter().skip(index + 1).position(|later| {
                    later.purpose == StepPurpose::FederatedUpnBack && later.target == step.target
                })
            })
            .flatten()
            .map(|offset| index + 1 + offset);
        match back {
            Some(back_index) => {
                // UPN away; the steps between; UPN back in `finally`, whatever happened between.
                let _ = writeln!(script, "{}", assert_line(step, "    "));
                for inner in steps.get(index + 1..back_index).unwrap_or_default() {
                    let _ = writeln!(script, "{}", assert_line(inner, "    "));
                }
                let _ = writeln!(script, "{}", patch_line(step, "    "));
                let _ = writeln!(script, "    try {{");
                for inner in steps.get(index + 1..back_index).unwrap_or_default() {
                    let _ = writeln!(script, "{}", patch_line(inner, "        "));
                }
                let _ = writeln!(script, "    }} finally {{");
                if let Some(back) = steps.get(back_index) {
                    let _ = writeln!(script, "{}", patch_line(back, "        "));
                }
                let _ = writeln!(script, "    }}");
                index = back_index + 1;
            }
            None => {
                let _ = writeln!(script, "{}", assert_line(step, "    "));
                let _ = writeln!(script, "{}", patch_line(step, "    "));
                index += 1;
            }
        }
    }
    let _ = writeln!(
        script,
        "    Write-Host {}\n}} catch {{\n    Write-Warning (\"{{0}}: {{1}}\" -f {}, $_)\n    $script:Failed++\n}}",
        ps_quote(&format!("done: {}", user.dn)),
        ps_quote(&user.dn)
    );
}

fn cloud_powershell(plan: &PlanFile, header: &str) -> String {
    let mut script = format!(
        "# {}\n\
         # Microsoft 365 changes, for the Microsoft Graph PowerShell SDK. First: Connect-MgGraph -Scopes User.ReadWrite.All\n\
         # Each value is read and compared with the one the plan expects; only then is it PATCHed. A value that\n\
         # changed since the plan is reported and left alone, and that user's remaining changes are skipped.\n\
         # Clearing sends an explicit JSON null (Update-MgUser would send \"\", which does not clear).\n\
         # A federated user's UPN moves to the initial domain while its ImmutableID changes, and back in a\n\
         # finally block: it is moved back even when the change fails.\n\
         #Requires -Modules Microsoft.Graph.Authentication\n\
         $ErrorActionPreference = 'Stop'\n\
         $script:Failed = 0\n\
         \n\
         function Assert-AnchorsyncUser([string]$Id, [string]$Property, $Expected, [switch]$IgnoreCase) {{\n\
         \x20   $user = Invoke-MgGraphRequest -Method GET -Uri (\"v1.0/users/{{0}}?`$select={{1}}\" -f [uri]::EscapeDataString($Id), $Property)\n\
         \x20   $current = $user[$Property]\n\
         \x20   $same = if ($IgnoreCase) {{ $current -eq $Expected }} else {{ $current -ceq $Expected }}\n\
         \x20   if (-not $same) {{\n\
         \x20       throw \"$Property of $Id is '$current', not '$Expected' as planned; nothing was written\"\n\
         \x20   }}\n\
         }}\n\
         \n\
         function Set-AnchorsyncUser([string]$Id, [string]$Body) {{\n\
         \x20   Invoke-MgGraphRequest -Method PATCH -Uri (\"v1.0/users/{{0}}\" -f [uri]::EscapeDataString($Id)) -Body $Body -ContentType 'application/json'\n\
         }}\n",
        ps_comment(header)
    );
    for user in &plan.users {
        cloud_user_block(&mut script, user);
    }
    script.push_str(
        "\nif ($script:Failed -gt 0) { Write-Warning \"$script:Failed $(if ($script:Failed -eq 1) { 'user was' } else { 'users were' }) not changed\"; exit 1 }\n",
    );
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cloud_script_sits_beside_the_ad_file() {
        assert_eq!(
            cloud_script_path(Path::new("out/changes.ldif")),
            Path::new("out/changes-cloud.ps1")
        );
        assert_eq!(
            cloud_script_path(Path::new("changes")),
            Path::new("changes-cloud.ps1")
        );
    }

    #[test]
    fn powershell_strings_double_every_quote_powershell_reads() {
        assert_eq!(ps_quote("O'Brien"), "'O''Brien'");
        assert_eq!(ps_quote("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(ps_quote("$(rm -r /)"), "'$(rm -r /)'");
    }
}
