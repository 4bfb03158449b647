import { passwordPolicyProblem } from './password-policy';

describe('password policy (NIST SP 800-63B)', () => {
  it.each([
    ['a long passphrase', 'correct-horse-battery', 'carol'],
    ['exactly 12 characters', 'Tr0ub4dor&3x', 'carol'],
    ['spaces and any script', 'ünïcødé wörds ärë fïnë', 'carol'],
    ['two characters alternating', 'abababababab', 'carol'],
  ])('accepts %s', (_, password, username) => {
    expect(passwordPolicyProblem(password, username)).toBeNull();
  });

  it.each([
    ['not a string', 12345, /must be a string/],
    ['11 characters', 'Tr0ub4dor&3', /at least 12 characters/],
    ['over 200 characters', 'x1'.repeat(101), /at most 200/],
    ['one character repeated', 'aaaaaaaaaaaa', /one character repeated/],
    ['one character repeated, in two cases', 'aAaAaAaAaAaA', /one character repeated/],
    ['on the common list', 'qwerty123456', /common/],
    ['on the common list, in another case', 'QwErTy123456', /common/],
    ['another entry of the list', '1qaz2wsx3edc', /common/],
    ['containing the username', 'my-name-is-carol!', /username/],
    ['containing the username in another case', 'my-name-is-CAROL!', /username/],
  ])('refuses %s, naming the rule', (_, password, rule) => {
    expect(passwordPolicyProblem(password, 'carol')).toMatch(rule);
  });

  it('counts characters, not UTF-16 units: 11 emoji are too short', () => {
    expect(passwordPolicyProblem('🔒'.repeat(5) + '🔑'.repeat(6), 'carol')).toMatch(/at least 12/);
  });

  it('never quotes the password', () => {
    for (const password of ['qwerty123456', 'aaaaaaaaaaaa', 'my-name-is-carol!', 'short']) {
      expect(passwordPolicyProblem(password, 'carol')).not.toContain(password);
    }
  });
});
