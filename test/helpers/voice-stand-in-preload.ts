// `node --import` this into a spawned bot: its voice connections become Ready as on a real server (see standInVoiceServer).
import { standInVoiceServer } from './fake-voice-connection.ts';

standInVoiceServer();
