// Given/when/then specifications for deciders: past events, one command, the expected new events or error.
import { deepStrictEqual } from 'node:assert/strict';

/** The shape every aggregate in core/ follows: decide from state, evolve state by events. */
export interface Decider<Command, Event, State, Input = Event> {
  decide(command: Command, state: State): readonly Event[];
  /** Input is usually Event; some deciders also evolve on observations that are never stored. */
  evolve(state: State, input: Input): State;
  initialState(): State;
}

/** How a mismatch is reported; the default is node's deepStrictEqual (vitest prints its diff). */
export type AssertEqual = (actual: unknown, expected: unknown, message: string) => void;

export interface DeciderWhen<Event, State> {
  /** The command produced exactly these events; also checks that evolve accepts them. Returns the state after them. */
  then(expected: readonly Event[]): State;
  /** The command produced no event (an idempotent repeat or a target already reached). */
  thenNothing(): State;
  /** decide (or evolving the given events) threw an instance of errorClass, optionally matching check. */
  thenThrows<E extends Error>(errorClass: abstract new (...args: never[]) => E, check?: (error: E) => void): E;
}

export interface DeciderGiven<Command, Event, State> {
  when(command: Command): DeciderWhen<Event, State>;
}

export interface DeciderSpec<Command, Event, State, Input> {
  given(past: readonly Input[]): DeciderGiven<Command, Event, State>;
}

const defaultAssert: AssertEqual = (actual, expected, message) => deepStrictEqual(actual, expected, message);

/**
 * deciderSpec(orderDecider).given([requested]).when({ type: 'SubmitOrder', ... }).then([submitted]).
 * Pass vitest's expect as `assert` if you prefer its diff: `(a, e) => expect(a).toEqual(e)`.
 */
export function deciderSpec<Command, Event, State, Input = Event>(
  decider: Decider<Command, Event, State, Input>,
  options: { assert?: AssertEqual } = {},
): DeciderSpec<Command, Event, State, Input> {
  const assertEqual = options.assert ?? defaultAssert;
  return {
    given: (past) => ({
      when: (command) => {
        // Run lazily so thenThrows can catch a throw from evolve as well as from decide.
        const run = (): { state: State; events: readonly Event[] } => {
          let state = decider.initialState();
          for (const input of past) state = decider.evolve(state, input);
          return { state, events: decider.decide(command, state) };
        };
        const evolveAll = (state: State, events: readonly Event[]): State => {
          let s = state;
          for (const e of events) s = decider.evolve(s, e as unknown as Input);
          return s;
        };
        return {
          then(expected) {
            const { state, events } = run();
            assertEqual(events, expected, 'decide produced other events than expected');
            return evolveAll(state, events);
          },
          thenNothing() {
            const { state, events } = run();
            assertEqual(events, [], 'decide produced events where none were expected');
            return state;
          },
          thenThrows(errorClass, check) {
            let result: { events: readonly Event[] } | undefined;
            try {
              result = run();
            } catch (error) {
              if (!(error instanceof errorClass)) {
                throw new Error(`expected ${errorClass.name} but ${describe(error)} was thrown`, { cause: error });
              }
              check?.(error);
              return error;
            }
            throw new Error(`expected ${errorClass.name} but decide returned ${JSON.stringify(result.events)}`);
          },
        };
      },
    }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : JSON.stringify(error);
}
