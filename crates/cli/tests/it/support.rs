use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in the temp directory, removed when dropped.
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn new(extension: &str, contents: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "gradual-cli-{}-{unique}.{extension}",
            std::process::id()
        ));
        std::fs::write(&path, contents).expect("temp dir is writable");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What one `gradual` run produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], stdin: &str) -> Outcome {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let argv = std::iter::once("gradual").chain(args.iter().copied());
    let code = gradual_cli::run(argv, &mut stdin.as_bytes(), &mut stdout, &mut stderr);
    Outcome {
        code,
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// A writer that fails every write with `kind`.
pub struct FailingWriter(pub io::ErrorKind);

impl Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(self.0, "refused"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::new(self.0, "refused"))
    }
}

/// A template with nothing for gradual to rewrite, using short forms and CloudFormation's
/// string-typed scalars.
pub const PLAIN_YAML: &str = "\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env:
    Type: String
    Default: prod
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub '${AWS::StackName}-${Env}'
      Tags:
        - Key: enabled
          Value: yes
Outputs:
  Arn:
    Value: !GetAtt Topic.TopicArn
";
