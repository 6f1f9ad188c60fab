//! The filter's tokens: words (properties, keywords, functions), string literals with doubled single
//! quotes, numbers, date-times and punctuation, each with its position for Graph's syntax error.

use crate::error::GraphError;
use crate::messages;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Str(String),
    Number(i64),
    DateTime(String),
    Open,
    Close,
    Comma,
    Colon,
}

pub(super) struct Lexer {
    tokens: Vec<(usize, Token)>,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$' | '/' | '@')
}

impl Lexer {
    pub(super) fn run(text: &str) -> Result<Vec<(usize, Token)>, GraphError> {
        let mut lexer = Self { tokens: Vec::new() };
        let mut chars = text.char_indices().peekable();
        while let Some(&(at, c)) = chars.peek() {
            match c {
                c if c.is_whitespace() => {
                    chars.next();
                }
                '(' | ')' | ',' | ':' => {
                    chars.next();
                    lexer.tokens.push((
                        at,
                        match c {
                            '(' => Token::Open,
                            ')' => Token::Close,
                            ',' => Token::Comma,
                            _ => Token::Colon,
                        },
                    ));
                }
                '\'' => {
                    chars.next();
                    let mut value = String::new();
                    let mut closed = false;
                    while let Some((_, c)) = chars.next() {
                        if c == '\'' {
                            if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                                chars.next();
                                value.push('\'');
                            } else {
                                closed = true;
                                break;
                            }
                        } else {
                            value.push(c);
                        }
                    }
                    if !closed {
                        return Err(messages::filter_syntax(at, text));
                    }
                    lexer.tokens.push((at, Token::Str(value)));
                }
                c if c.is_ascii_digit() || c == '-' => {
                    let mut literal = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '+') {
                            literal.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    let token = if let Ok(number) = literal.parse::<i64>() {
                        Token::Number(number)
                    } else if literal.len() >= 10 && literal.contains('-') {
                        Token::DateTime(literal)
                    } else {
                        return Err(messages::filter_syntax(at, text));
                    };
                    lexer.tokens.push((at, token));
                }
                c if is_word_char(c) => {
                    let mut word = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if is_word_char(c) {
                            word.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    lexer.tokens.push((at, Token::Word(word)));
                }
                _ => return Err(messages::filter_syntax(at, text)),
            }
        }
        Ok(lexer.tokens)
    }
}
