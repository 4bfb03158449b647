import { deciderSpec } from '../testing/decider-spec';
import { CreateUser, LockUser, UpdateUser, UserCommand, UserEvent, usersDecider, UsersState } from './user.decider';

const AT = '2025-03-01T10:00:00.000Z';
const ADMIN_ID = '00000000-0000-4000-8000-00000000000a';
const USER_ID = '00000000-0000-4000-8000-000000000001';

const spec = deciderSpec(usersDecider);

const created = (): UserEvent => ({
  type: 'UserCreated',
  data: { userId: USER_ID, username: 'jdoe', roles: ['clerk'], passwordHash: 'scrypt$hash', createdBy: 'admin', createdAt: AT },
});
const createUser = (overrides: Partial<CreateUser> = {}): CreateUser => ({
  type: 'CreateUser',
  userId: USER_ID,
  username: 'JDoe',
  roles: ['clerk'],
  passwordHash: 'scrypt$hash',
  actor: 'admin',
  at: AT,
  ...overrides,
});
const updateUser = (overrides: Partial<UpdateUser> = {}): UpdateUser => ({
  type: 'UpdateUser',
  userId: USER_ID,
  actor: 'admin',
  actorId: ADMIN_ID,
  at: AT,
  ...overrides,
});
const lockUser = (): LockUser => ({ type: 'LockUser', userId: USER_ID, failures: 5, at: AT });

const fold = (events: UserEvent[]): UsersState => events.reduce((state, event) => usersDecider.evolve(state, event), usersDecider.initialState());

describe('usersDecider', () => {
  describe('CreateUser', () => {
    it('creates the user with a lower-case username and each role once', () => {
      spec
        .given([])
        .when(createUser({ roles: ['clerk', 'clerk', 'him'] }))
        .then([
          {
            type: 'UserCreated',
            data: { userId: USER_ID, username: 'jdoe', roles: ['clerk', 'him'], passwordHash: 'scrypt$hash', createdBy: 'admin', createdAt: AT },
          },
        ]);
    });

    it('refuses a taken username (any case), a malformed one and unknown roles', () => {
      spec
        .given([created()])
        .when(createUser({ userId: ADMIN_ID }))
        .thenThrows('conflict', 'already exists');
      spec
        .given([])
        .when(createUser({ username: '1x' }))
        .thenThrows('invalid', 'username');
      spec
        .given([])
        .when(createUser({ roles: ['superuser'] }))
        .thenThrows('invalid', 'roles');
    });
  });

  describe('UpdateUser', () => {
    it('records only what changes', () => {
      spec
        .given([created()])
        .when(updateUser({ roles: ['clerk'], active: true }))
        .then([]);
      spec
        .given([created()])
        .when(updateUser({ active: false }))
        .then([{ type: 'UserDeactivated', data: { userId: USER_ID, deactivatedBy: 'admin', deactivatedAt: AT } }]);
    });

    it('refuses an empty change and an unknown user', () => {
      spec.given([created()]).when(updateUser()).thenThrows('invalid', 'body');
      spec
        .given([])
        .when(updateUser({ active: false }))
        .thenThrows('not-found');
    });
  });

  describe('LockUser', () => {
    it('locks an unlocked account once; an unknown one stays as it is', () => {
      spec
        .given([created()])
        .when(lockUser())
        .then([{ type: 'UserLocked', data: { userId: USER_ID, failures: 5, lockedAt: AT } }]);
      spec
        .given([created(), { type: 'UserLocked', data: { userId: USER_ID, failures: 5, lockedAt: AT } }])
        .when(lockUser())
        .then([]);
      spec.given([]).when(lockUser()).then([]);
    });
  });

  describe('evolve', () => {
    it('folds every user event onto the account', () => {
      const state = fold([
        created(),
        { type: 'UserRolesChanged', data: { userId: USER_ID, roles: ['him'], previousRoles: ['clerk'], changedBy: 'admin', changedAt: AT } },
        { type: 'UserDeactivated', data: { userId: USER_ID, deactivatedBy: 'admin', deactivatedAt: AT } },
        { type: 'UserLocked', data: { userId: USER_ID, failures: 5, lockedAt: AT } },
      ]);
      expect(state.byUsername.get('jdoe')).toEqual({
        userId: USER_ID,
        username: 'jdoe',
        roles: ['him'],
        passwordHash: 'scrypt$hash',
        active: false,
        locked: true,
      });
      expect(
        fold([
          created(),
          { type: 'UserReactivated', data: { userId: USER_ID, reactivatedBy: 'admin', reactivatedAt: AT } },
          { type: 'UserUnlocked', data: { userId: USER_ID, unlockedBy: 'admin', unlockedAt: AT } },
        ]).byId.get(USER_ID),
      ).toMatchObject({ active: true, locked: false });
    });

    it('an unknown event type stops the fold instead of being ignored', () => {
      const unknownEvent = { type: 'UserTeleported', data: { userId: USER_ID } } as unknown as UserEvent;
      expect(() => fold([created(), unknownEvent])).toThrow('Unknown event type "UserTeleported"');
    });

    it('an unknown command type is refused', () => {
      const unknownCommand = { type: 'TeleportUser', userId: USER_ID } as unknown as UserCommand;
      expect(() => usersDecider.decide(unknownCommand, fold([created()]))).toThrow('Unknown command type "TeleportUser"');
    });
  });
});
